"""Login (A6), lock-out, sessions on the server (ASVS V3), JSON login."""

from sqlalchemy import select, text

from app.platform.extensions import db
from models import Account
from tests.conftest import APPLICANT_ID, csrf_token, login, logout, page_text

COOKIE = "zc_session"


def cookie(client):
    c = client.get_cookie(COOKIE)
    return c.value if c else None


def test_login_and_home(client):
    response = login(client, APPLICANT_ID)
    assert response.status_code == 302
    html = page_text(client.get("/"))
    assert "您好，张明" in html and "我的申报" in html
    assert "1201**********0013" in html and "120101199003070013" not in html


def test_lowercase_x_logs_in(app, client):
    with app.app_context():
        user = db.session.scalar(select(Account).where(Account.id_number_is(APPLICANT_ID)))
        user.username = user.id_number = "11010519491231002X"
        db.session.commit()
    assert login(client, "11010519491231002x").status_code == 302


def test_every_demo_role_sees_its_work_area(client):
    for username, marker in [("baili_hr", "单位审核工作区"), ("gxj_zc", "主管部门工作区"), ("gc_pwh", "评委会工作区"),
                             ("zcb", "职称办工作区"), ("admin", "管理员工作区")]:
        assert login(client, username).status_code == 302, username
        html = page_text(client.get("/"))
        assert marker in html
        assert ("后台管理" if username == "admin" else "目前没有待您处理的申报") in html
        logout(client)


def test_bad_login_messages(client):
    response = login(client, APPLICANT_ID, password="wrong1234")
    assert response.status_code == 400
    assert "账号或密码错误" in page_text(response)
    assert APPLICANT_ID in page_text(response)  # the typed ID is kept
    unknown = login(client, "11010519491231002X", password="wrong1234")
    # The same answer for an unknown account: nothing tells accounts apart.
    assert unknown.status_code == response.status_code
    assert page_text(unknown).count("账号或密码错误") == page_text(response).count("账号或密码错误") == 1
    response = login(client, APPLICANT_ID, captcha="NOPE")
    assert response.status_code == 400 and "图形验证码错误" in page_text(response)
    response = client.post("/login/", data={"csrf_token": csrf_token(client, "/login/")})
    html = page_text(response)
    assert "请输入身份证号" in html and "请输入密码" in html and "请输入验证码" in html


def test_unknown_account_costs_a_hash_check_of_the_configured_kind(app, client, monkeypatch):
    """An unknown ID is answered after the same kind of password check as a
    known one, so the time taken does not tell which IDs are registered."""
    from app.accounts import auth

    checked = []
    real_check = auth.check_password_hash
    monkeypatch.setattr(auth, "check_password_hash", lambda h, pw: checked.append(h) or real_check(h, pw))
    method = app.config["FAB_PASSWORD_HASH_METHOD"]
    for login_name in (APPLICANT_ID, "11010519491231002X"):
        checked.clear()
        assert login(client, login_name, password="wrong1234").status_code == 400
        assert len(checked) == 1 and checked[0].startswith(method + "$")


def test_five_failures_block_that_source_with_the_same_answer(app, client):
    """#10 item 1: a locked account answers exactly like a wrong password;
    the block holds for the source that failed, not for the owner elsewhere."""
    for _ in range(5):
        response = login(client, APPLICANT_ID, password="wrong1234")
        assert response.status_code == 400 and "账号或密码错误" in page_text(response)
    response = login(client, APPLICANT_ID)  # right password, this source is blocked
    assert response.status_code == 400 and "账号或密码错误" in page_text(response)
    assert "锁定" not in page_text(response)
    unknown = login(client, "11010519491231002X", password="wrong1234")
    assert unknown.status_code == response.status_code
    owner = app.test_client()
    owner.environ_base["REMOTE_ADDR"] = "10.9.8.7"
    assert login(owner, APPLICANT_ID).status_code == 302
    with app.app_context():
        actions = [a for (a,) in db.session.execute(text("SELECT action FROM audit_event ORDER BY id"))]
    assert actions.count("login.failed") >= 5 and "login.locked" in actions and "login.blocked" in actions
    assert actions[-1] == "login.ok"


def test_owner_warned_by_sms_when_attacked(app, client):
    from tests.conftest import outbox

    for i in range(10):
        client.environ_base["REMOTE_ADDR"] = f"10.0.0.{i // 4}"
        login(client, APPLICANT_ID, password="wrong1234")
    warnings = [m for m in outbox(app) if "多次登录失败" in m["text"]]
    assert len(warnings) == 1 and warnings[0]["phone"] == "13800000001"


def test_session_id_renewed_at_login_and_useless_after_logout(app, client):
    client.get("/login/")
    before = cookie(client)
    assert login(client, APPLICANT_ID).status_code == 302
    after = cookie(client)
    assert after and after != before
    assert client.get("/").status_code == 200
    logout(client)
    replay = app.test_client()
    replay.set_cookie(COOKIE, after)
    response = replay.get("/")
    assert response.status_code == 302 and "/login/" in response.headers["Location"]


def test_session_cookie_is_httponly_samesite(app):
    fresh = app.test_client()
    response = fresh.get("/login/")
    raw = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(COOKIE)][0]
    assert "HttpOnly" in raw and "SameSite=Lax" in raw and "Secure" not in raw
    assert app.config["SESSION_IDLE_MINUTES"] == 30


def test_idle_session_ends(app, client):
    login(client, APPLICANT_ID)
    assert client.get("/").status_code == 200
    with app.app_context():
        db.session.execute(text("UPDATE kv_entry SET expires_at = 0 WHERE key LIKE 'session:%'"))
        db.session.commit()
    response = client.get("/")
    assert response.status_code == 302 and "/login/" in response.headers["Location"]


def test_logout_needs_post_with_csrf(client):
    login(client, APPLICANT_ID)
    assert client.get("/logout/").status_code == 405
    assert client.post("/logout/").status_code == 400  # no CSRF token
    assert client.get("/").status_code == 200         # still logged in


def test_login_rate_limited_per_ip(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "RATE_LIMIT_LOGIN", "3 per day")  # a day: a fixed window cannot roll over mid-test
    for _ in range(3):
        login(client, APPLICANT_ID, password="wrong1234")
    response = login(client, APPLICANT_ID)
    assert response.status_code == 429 and "操作过于频繁" in page_text(response)


def test_json_login_follows_the_same_rules(app, client, monkeypatch):
    ok = client.post("/api/v1/security/login", json={"username": APPLICANT_ID.lower(), "password": "Demo2026"})
    assert ok.status_code == 200 and "access_token" in ok.json
    for _ in range(5):
        bad = client.post("/api/v1/security/login", json={"username": APPLICANT_ID, "password": "wrong1234"})
        assert bad.status_code == 401
    locked = client.post("/api/v1/security/login", json={"username": APPLICANT_ID, "password": "Demo2026"})
    assert locked.status_code == 401 and locked.json["message"] == "账号或密码错误"
    monkeypatch.setitem(app.config, "RATE_LIMIT_LOGIN", "1 per day")
    client.post("/api/v1/security/login", json={"username": "zcb", "password": "Demo2026"})
    limited = client.post("/api/v1/security/login", json={"username": "zcb", "password": "Demo2026"})
    assert limited.status_code == 429
    assert client.post("/api/v1/security/login", data="x").status_code in (400, 429)


def test_inactive_account_cannot_log_in(app, client):
    with app.app_context():
        user = db.session.scalar(select(Account).where(Account.username == "baili_hr"))
        user.active = False
        db.session.commit()
    response = login(client, "baili_hr")
    assert response.status_code == 400 and "账号或密码错误" in page_text(response)


def test_json_login_keeps_the_documented_limit_per_address(app, client, monkeypatch):
    """AUTH_RATE_LIMIT (20 per minute) per address on the JSON login, counted in
    the shared store: a 21st try from one address answers 429 in Chinese
    whichever accounts it names; another address is not stopped by it."""
    from config import Config

    assert Config.AUTH_RATE_LIMIT == "20 per minute"
    monkeypatch.setitem(app.config, "AUTH_RATE_LIMIT", "20 per day")  # a fixed window cannot roll over mid-test
    answers = [client.post("/api/v1/security/login", json={"username": f"nobody{i}", "password": "wrong1234"})
               for i in range(22)]
    assert [a.status_code for a in answers] == [401] * 20 + [429, 429]
    assert answers[-1].json["message"] == "操作过于频繁，请稍后再试"
    other = client.post("/api/v1/security/login", json={"username": "nobody", "password": "wrong1234"},
                        environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert other.status_code == 401
