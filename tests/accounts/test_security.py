"""Security of the account endpoints (#10 items 1–4, #9 items 1, 10, 11, 14):
no enumeration, quotas counted only after the captcha, atomic try counters on
both stores, administrator-set passwords hashed and temporary."""
import threading

import pytest

from app.accounts import sms_codes
from app.platform.kvstore import RedisStore
from tests.accounts.test_registration import agree, form_data, send_code
from tests.conftest import APPLICANT_ID, CAPTCHA, csrf_token, last_code, login, outbox, page_text


# -- #10 item 2: nothing about registered IDs before the captcha and code --

def test_wrong_captcha_says_nothing_about_registered_ids(app, client):
    agree(client)
    registered = client.post("/register/form", data=form_data(
        client, id_number=APPLICANT_ID, phone="13800000001", captcha="NOPE", sms_code="123456"))
    free = client.post("/register/form", data=form_data(client, captcha="NOPE", sms_code="123456"))
    assert registered.status_code == free.status_code == 400
    for response in (registered, free):
        html = page_text(response)
        assert "图形验证码错误" in html and "已注册" not in html


def test_wrong_sms_code_says_nothing_about_registered_ids(app, client):
    agree(client)
    send_code(client, phone="13912345679")
    response = client.post("/register/form", data=form_data(
        client, id_number=APPLICANT_ID, phone="13912345679", sms_code="000000"
        if last_code(app, "13912345679") != "000000" else "111111"))
    html = page_text(response)
    assert response.status_code == 400 and "手机验证码错误" in html and "已注册" not in html


# -- #10 item 3: only captcha-checked requests count against a phone's quota --

def test_wrong_captcha_does_not_use_up_the_phone_quota(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "RATE_LIMIT_SMS_PER_PHONE", "2 per hour")
    agree(client)
    for _ in range(5):
        assert send_code(client, captcha="NOPE").status_code == 400
    assert send_code(client).status_code == 200
    assert len(outbox(app)) == 1


# -- #10 item 4: parallel wrong codes are all counted, on both stores --

def _race_wrong_codes(app, phone):
    with app.app_context():
        assert sms_codes.send_code("register", phone) is None
    code = last_code(app, phone)
    wrong = "000000" if code != "000000" else "111111"
    barrier = threading.Barrier(5)
    answers = []

    def guess():
        with app.app_context():
            barrier.wait()
            answers.append(sms_codes.check_code("register", phone, wrong))

    threads = [threading.Thread(target=guess) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(answers) == 5 and all(answers)
    with app.app_context():
        return sms_codes.check_code("register", phone, code)


def test_parallel_wrong_codes_all_count_database_store(app):
    assert _race_wrong_codes(app, "13912340001") is not None


def test_parallel_wrong_codes_all_count_redis_store(app, redis_url):
    import redis

    store = RedisStore(redis_url, namespace="zc-test10:")
    previous = app.extensions["kv"]
    app.extensions["kv"] = store
    try:
        assert _race_wrong_codes(app, "13912340002") is not None
    finally:
        app.extensions["kv"] = previous
        r = redis.Redis.from_url(redis_url)
        for key in r.scan_iter("zc-test10:*"):
            r.delete(key)


@pytest.mark.parametrize("store_kind", ["database", "redis"])
def test_counter_is_atomic(app, request, store_kind):
    if store_kind == "redis":
        store = RedisStore(request.getfixturevalue("redis_url"), namespace="zc-test10:")
        store.delete("n")
    else:
        with app.app_context():
            store = app.extensions["kv"]
    barrier = threading.Barrier(8)
    seen = []

    def hit():
        with app.app_context():
            barrier.wait()
            for _ in range(5):
                seen.append(store.incr("n", 60))

    threads = [threading.Thread(target=hit) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(seen) == list(range(1, 41))
    with app.app_context():
        store.delete("n")


# -- #9 item 11: a second 忘记密码 within a minute ---------------------------

def forgot(client, username):
    token = csrf_token(client, "/forgot/")
    return client.post("/forgot/", data={"username": username, "captcha": CAPTCHA, "csrf_token": token})


def test_second_forgot_within_a_minute_says_when(app, client):
    for username in (APPLICANT_ID, "11010519491231002X"):
        assert forgot(client, username).status_code == 302
        again = forgot(client, username)
        html = page_text(again)
        assert again.status_code == 429 and "1分钟内发送" in html and "秒后再试" in html
        assert "未注册" not in html
    assert len([m for m in outbox(app) if "临时密码" in m["text"]]) == 1


# -- #9 item 10: limits keyed on the account, per-IP only a high ceiling ----

def test_colleagues_behind_one_address_are_not_stopped(app, monkeypatch):
    monkeypatch.setitem(app.config, "RATE_LIMIT_SMS_PER_PHONE", "1 per hour")
    for i in range(12):  # the eleventh colleague used to be refused
        colleague = app.test_client()
        agree(colleague)
        assert send_code(colleague, phone=f"139000000{i:02d}").status_code == 200


def test_limits_are_shared_between_instances(app, redis_url, monkeypatch):
    """Two app instances on one Redis count the same limit together."""
    import redis

    from app import create_app

    redis.Redis.from_url(redis_url).flushdb()
    try:
        workers = [create_app("test", {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                                       "REDIS_URL": redis_url, "SMS_OUTBOX": app.config["SMS_OUTBOX"],
                                       "CAPTCHA_FIXED_CODE": CAPTCHA, "RATE_LIMIT_LOGIN": "3 per day"})
                   for _ in range(2)]
        answers = [login(workers[i % 2].test_client(), "zcb", password="wrong1234").status_code for i in range(4)]
        assert answers == [400, 400, 400, 429]
    finally:
        redis.Redis.from_url(redis_url).flushdb()


def test_trusted_proxy_gives_the_client_address(app):
    """Behind one trusted proxy, the lock-out of one client's address does
    not block another client coming through the same proxy."""
    from app import create_app

    proxied = create_app("test", {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                                  "TRUSTED_PROXIES": 1, "REDIS_URL": None, "CAPTCHA_FIXED_CODE": CAPTCHA,
                                  "SMS_OUTBOX": app.config["SMS_OUTBOX"]})
    attacker, owner = proxied.test_client(), proxied.test_client()
    attacker.environ_base.update(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9")
    owner.environ_base.update(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.7")
    for _ in range(5):
        login(attacker, "zcb", password="wrong1234")
    assert login(attacker, "zcb").status_code == 400
    assert login(owner, "zcb").status_code == 302
