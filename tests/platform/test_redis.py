"""With REDIS_URL set, several app instances (workers) share sessions, SMS
codes and rate limits — proved with two instances against one Redis."""
import pytest
import redis

from app import create_app
from app.platform.kvstore import RedisStore
from tests.conftest import APPLICANT_ID, CAPTCHA, csrf_token, last_code, login, logout


@pytest.fixture
def clean_redis(redis_url):
    redis.Redis.from_url(redis_url).flushdb()
    yield redis_url
    redis.Redis.from_url(redis_url).flushdb()


@pytest.fixture
def workers(app, clean_redis):
    def make():
        return create_app("test", {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "REDIS_URL": clean_redis,
            "RATELIMIT_STORAGE_URI": clean_redis,
            "SMS_OUTBOX": app.config["SMS_OUTBOX"],
            "CAPTCHA_FIXED_CODE": CAPTCHA,
            "JOB_INLINE": True,
        })
    return make(), make()


def test_store_operations(clean_redis):
    store = RedisStore(clean_redis)
    assert store.add("k", "1", 60) is True
    assert store.add("k", "2", 60) is False
    assert store.replace_if("k", "2", "3") is False
    assert store.replace_if("k", "1", "3") is True and store.get("k") == "3"
    assert 0 < store.ttl("k") <= 60
    assert store.delete_if("k", "1") is False
    assert store.delete_if("k", "3") is True and store.get("k") is None
    store.set("session:a", "x", 60, owner="user:1")
    store.set("session:b", "y", 60, owner="user:1")
    store.delete_owned("user:1", prefix="session:", keep="session:b")
    assert store.get("session:a") is None and store.get("session:b") == "y"


def test_sessions_are_shared_and_logout_ends_them_everywhere(workers):
    a, b = workers
    ca = a.test_client()
    assert login(ca, APPLICANT_ID).status_code == 302
    cookie = ca.get_cookie("zc_session").value
    cb = b.test_client()
    cb.set_cookie("zc_session", cookie)
    assert cb.get("/").status_code == 200          # the other worker knows the session
    logout(cb)
    assert ca.get("/").status_code == 302           # and logging out there ends it here


def test_rate_limit_counts_across_workers(workers):
    a, b = workers
    for worker in (a, b):
        worker.config["RATE_LIMIT_LOGIN"] = "3 per day"
    ca, cb = a.test_client(), b.test_client()
    assert login(ca, APPLICANT_ID, password="wrong1234").status_code == 400
    assert login(cb, APPLICANT_ID, password="wrong1234").status_code == 400
    assert login(ca, APPLICANT_ID, password="wrong1234").status_code == 400
    assert login(cb, APPLICANT_ID).status_code == 429


def test_sms_code_sent_by_one_worker_is_checked_by_another(app, workers):
    a, b = workers
    ca = a.test_client()
    ca.post("/register/", data={"agree": "y", "csrf_token": csrf_token(ca, "/register/")})
    response = ca.post("/register/sms", data={"phone": "13912340000", "captcha": CAPTCHA,
                                              "csrf_token": csrf_token(ca, "/register/form")})
    assert response.status_code == 200
    again = b.test_client()
    again.set_cookie("zc_session", ca.get_cookie("zc_session").value)
    response = again.post("/register/sms", data={"phone": "13912340000", "captcha": CAPTCHA,
                                                 "csrf_token": csrf_token(again, "/register/form")})
    assert response.status_code == 429                # one send a minute, whichever worker is asked
    code = last_code(app, "13912340000")
    response = again.post("/register/form", data={
        "name": "钱多多", "id_number": "120102198506150025", "email": "qian@example.com", "password": "abc12345",
        "confirm": "abc12345", "captcha": CAPTCHA, "phone": "13912340000", "sms_code": code,
        "csrf_token": csrf_token(again, "/register/form")})
    assert response.status_code == 302


def test_an_anonymous_read_asks_the_store_once(workers, monkeypatch):
    """A visitor's first page asks Redis whether it answers (a form must not
    be shown that could never be submitted); a returning visitor's session
    lookup has asked it already, so the page costs one round trip, not two."""
    a, _ = workers
    client = a.test_client()
    asked = []
    plain_get = RedisStore.get
    monkeypatch.setattr(RedisStore, "get", lambda store, key: asked.append(key) or plain_get(store, key))
    assert client.get("/login/").status_code == 200
    assert asked.count("ping") == 1 and not any(key.startswith("session:") for key in asked)
    asked.clear()
    assert client.get("/login/").status_code == 200            # the cookie now carries an id
    assert asked.count("ping") == 0 and sum(key.startswith("session:") for key in asked) == 1


def test_api_sessions_are_shared_and_end_everywhere(workers):
    a, b = workers
    tokens = a.test_client().post("/api/v1/security/login",
                                  json={"username": "baili_hr", "password": "Demo2026", "refresh": True}).json
    access = {"Authorization": f"Bearer {tokens['access_token']}"}
    refresh = {"Authorization": f"Bearer {tokens['refresh_token']}"}
    cb = b.test_client()
    assert cb.get("/api/v1/declarations/", headers=access).status_code == 200
    assert cb.post("/api/v1/security/refresh", headers=refresh).status_code == 200
    assert cb.post("/api/v1/security/logout", headers=access).status_code == 200
    assert a.test_client().get("/api/v1/declarations/", headers=access).status_code == 401
    assert a.test_client().post("/api/v1/security/refresh", headers=refresh).status_code == 401
