"""修改密码 (A8) and 忘记密码？ with a temporary password (A7)."""
import re
from datetime import timedelta

from sqlalchemy import select

from app.accounts.auth import new_temporary_password
from app.platform.extensions import db
from models import Account, clock
from models.identity import password_error
from tests.conftest import APPLICANT_ID, CAPTCHA, csrf_token, login, outbox, page_text

PHONE = "13800000001"


def change(client, old, new, confirm=None):
    token = csrf_token(client, "/account/password")
    data = {"new_password": new, "confirm": new if confirm is None else confirm, "csrf_token": token}
    if old is not None:
        data["old_password"] = old
    return client.post("/account/password", data=data)


def forgot(client, username, captcha=CAPTCHA):
    token = csrf_token(client, "/login/")
    return client.post("/forgot/", data={"username": username, "captcha": captcha, "csrf_token": token})


def temp_password(app):
    texts = [m["text"] for m in outbox(app) if m["phone"] == PHONE and "临时密码为" in m["text"]]
    assert texts
    return re.search(r"临时密码为([A-Za-z0-9]+)", texts[-1]).group(1)


def test_change_password_form_is_in_the_name_menu(client):
    login(client, APPLICANT_ID)
    html = page_text(client.get("/"))
    assert "修改密码" in html and "/account/password" in html
    html = page_text(client.get("/account/password"))
    assert "原密码" in html and "新密码" in html and "确认密码" in html


def test_change_password_errors(client):
    login(client, APPLICANT_ID)
    for old, new, confirm, message in [
        ("wrong1234", "abc12345", None, "原密码不正确"),
        ("Demo2026", "12345678", None, "字母开头"),
        ("Demo2026", "abc12345", "abc123456", "两次输入的新密码不一致"),
        ("Demo2026", "Demo2026", None, "新密码不能与原密码相同"),
        ("", "abc12345", None, "请输入原密码"),
    ]:
        response = change(client, old, new, confirm)
        assert response.status_code == 400 and message in page_text(response), message
    assert login(client.application.test_client(), APPLICANT_ID).status_code == 302  # unchanged


def test_change_password_names_every_wrong_field_at_once(client):
    login(client, APPLICANT_ID)
    response = change(client, "wrong1234", "12345678", "87654321")
    html = page_text(response)
    assert response.status_code == 400
    for message in ("原密码不正确", "字母开头", "两次输入的新密码不一致"):
        assert message in html, message
    assert login(client.application.test_client(), APPLICANT_ID).status_code == 302  # unchanged


def test_change_password_ends_other_sessions(app, client):
    other = app.test_client()
    login(client, APPLICANT_ID)
    login(other, APPLICANT_ID)
    assert other.get("/").status_code == 200
    response = change(client, "Demo2026", "newpass2026")
    assert response.status_code == 302
    assert client.get("/").status_code == 200            # this session continues
    assert other.get("/").status_code == 302             # the other one is over
    assert login(app.test_client(), APPLICANT_ID).status_code == 400
    assert login(app.test_client(), APPLICANT_ID, password="newpass2026").status_code == 302
    assert any("密码已修改" in m["text"] for m in outbox(app))


def test_forgot_password_same_answer_either_way(app, client):
    known = forgot(client, APPLICANT_ID)
    unknown = forgot(client, "11010519491231002X")
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    a = page_text(client.get(known.headers["Location"]))
    assert "如果该身份证号已注册" in a
    assert len(outbox(app)) == 1 and outbox(app)[0]["phone"] == PHONE


def test_forgot_password_needs_captcha(app, client):
    response = forgot(client, APPLICANT_ID, captcha="BAD1")
    assert response.status_code == 400 and "图形验证码错误" in page_text(response)
    assert APPLICANT_ID in page_text(response)
    assert outbox(app) == []


def test_temporary_password_flow(app, client):
    other = app.test_client()
    login(other, APPLICANT_ID)  # a session elsewhere
    forgot(client, APPLICANT_ID)
    password = temp_password(app)
    assert len(password) >= 10 and password_error(password) is None
    with app.app_context():
        user = db.session.scalar(select(Account).where(Account.id_number_is(APPLICANT_ID)))
        assert password not in user.temp_password_hash
        assert timedelta(minutes=29) < user.temp_password_expires - clock.now() <= timedelta(minutes=30)

    # The old password still works until the temporary one is used.
    assert login(app.test_client(), APPLICANT_ID).status_code == 302

    response = login(client, APPLICANT_ID, password=password)
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/password")
    assert other.get("/").status_code == 302                    # other sessions ended
    assert client.get("/").headers["Location"].endswith("/account/password")  # change forced
    assert any("使用临时密码登录" in m["text"] for m in outbox(app))   # owner notified
    html = page_text(client.get("/account/password"))
    assert "原密码" not in html
    assert change(client, None, "fresh2026").status_code == 302
    assert client.get("/").status_code == 200
    # Used once: the temporary password no longer works.
    assert login(app.test_client(), APPLICANT_ID, password=password).status_code == 400
    assert login(app.test_client(), APPLICANT_ID, password="fresh2026").status_code == 302


def test_expired_temporary_password_refused(app, client):
    forgot(client, APPLICANT_ID)
    password = temp_password(app)
    with app.app_context():
        user = db.session.scalar(select(Account).where(Account.id_number_is(APPLICANT_ID)))
        user.temp_password_expires = clock.now() - timedelta(seconds=1)
        db.session.commit()
    assert login(client, APPLICANT_ID, password=password).status_code == 400


def test_temporary_passwords_are_random():
    seen = {new_temporary_password() for _ in range(200)}
    assert len(seen) == 200
    assert all(password_error(p) is None and len(p) >= 10 for p in seen)


def test_json_login_refused_while_change_is_due(app, client):
    forgot(client, APPLICANT_ID)
    password = temp_password(app)
    response = client.post("/api/v1/security/login", json={"username": APPLICANT_ID, "password": password})
    assert response.status_code == 403


def test_api_token_dies_with_a_password_change(app, client):
    token = client.post("/api/v1/security/login",
                        json={"username": "admin", "password": "Demo2026"}).json["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    api = app.test_client()  # no session cookie: only the token speaks
    assert api.get("/api/v1/menu/", headers=headers).status_code == 200
    import time
    time.sleep(1.1)  # token times have one-second resolution
    login(client, "admin")
    assert change(client, "Demo2026", "newpass2026").status_code == 302
    assert api.get("/api/v1/menu/", headers=headers).status_code == 401
