"""The API's tokens live as a web session does: 30 minutes idle and 8 hours
in all (refresh included), and they end with a password change, a role
change, deactivation and the API's logout."""
import time

from flask_jwt_extended import decode_token
from sqlalchemy import select

from app.platform.extensions import db
from models import Account
from tests.conftest import csrf_token, login

LOGIN = "/api/v1/security/login"
LIST = "/api/v1/declarations/"


def tokens(client, username="baili_hr"):
    response = client.post(LOGIN, json={"username": username, "password": "Demo2026", "refresh": True})
    assert response.status_code == 200, response.json
    return response.json["access_token"], response.json["refresh_token"]


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def works(client, access, refresh):
    """(the access token reads the list, the refresh token gives a new one)"""
    read = client.get(LIST, headers=bearer(access)).status_code
    renewed = client.post("/api/v1/security/refresh", headers=bearer(refresh))
    return read == 200, renewed.status_code == 200


def account(app, username="baili_hr"):
    with app.app_context():
        return db.session.scalar(select(Account).where(Account.username == username))


def test_tokens_last_no_longer_than_a_web_session(app, client):
    access, refresh = tokens(client)
    with app.app_context():
        a, r = decode_token(access), decode_token(refresh)
    assert a["exp"] - a["iat"] <= app.config["SESSION_IDLE_MINUTES"] * 60
    assert r["exp"] - r["iat"] <= app.config["SESSION_ABSOLUTE_HOURS"] * 3600
    assert works(client, access, refresh) == (True, True)
    renewed = client.post("/api/v1/security/refresh", headers=bearer(refresh)).json["access_token"]
    assert client.get(LIST, headers=bearer(renewed)).status_code == 200


def test_an_idle_api_session_ends(app, client, monkeypatch):
    access, refresh = tokens(client)
    monkeypatch.setitem(app.config, "SESSION_IDLE_MINUTES", 0)
    time.sleep(0.01)
    refused = client.get(LIST, headers=bearer(access))
    assert refused.status_code == 401 and refused.json["message"] == "令牌无效或已过期，请重新登录"
    monkeypatch.setitem(app.config, "SESSION_IDLE_MINUTES", 30)
    assert works(client, access, refresh) == (False, False)          # ended, not only paused


def test_an_api_session_ends_after_the_absolute_limit_even_when_used(app, client, monkeypatch):
    access, refresh = tokens(client)
    monkeypatch.setitem(app.config, "SESSION_ABSOLUTE_HOURS", 0)
    assert works(client, access, refresh) == (False, False)


def test_a_password_change_ends_the_tokens(app, client):
    access, refresh = tokens(client)
    web = app.test_client()
    login(web, "baili_hr")
    changed = web.post("/account/password", data={"old_password": "Demo2026", "new_password": "Other2026x",
                                                  "confirm": "Other2026x",
                                                  "csrf_token": csrf_token(web, "/account/password")})
    assert changed.status_code == 302
    assert works(client, access, refresh) == (False, False)


def test_a_role_change_ends_the_tokens_and_web_sessions(app, client):
    access, refresh = tokens(client)
    other_access, other_refresh = tokens(client, "zcb")
    web = app.test_client()
    login(web, "baili_hr")
    admin = app.test_client()
    login(admin, "admin")
    user = account(app)
    with app.app_context():
        roles = [app.appbuilder.sm.find_role(name).id for name in ("单位审核", "评审专家")]
    edit = f"/users/edit/{user.id}"
    response = admin.post(edit, data={"first_name": user.first_name, "username": "baili_hr", "email": user.email,
                                      "phone": "", "roles": roles, "active": "y", "org": user.org_id,
                                      "csrf_token": csrf_token(admin, edit)})
    assert response.status_code == 302
    assert works(client, access, refresh) == (False, False)
    assert web.get("/").status_code == 302                            # the web session ended too
    assert works(client, other_access, other_refresh) == (True, True)  # nobody else's


def test_deactivation_ends_the_tokens_for_good(app, client):
    access, refresh = tokens(client)
    with app.app_context():
        user = db.session.scalar(select(Account).where(Account.username == "baili_hr"))
        user.active = False
        db.session.commit()
        user.active = True                                            # taken back: the tokens stay dead
        db.session.commit()
    assert works(client, access, refresh) == (False, False)


def test_logout_ends_the_api_session(app, client):
    access, refresh = tokens(client)
    other_access, other_refresh = tokens(client)                      # a second login of the same account
    assert client.post("/api/v1/security/logout").status_code == 401
    out = client.post("/api/v1/security/logout", headers=bearer(access))
    assert out.status_code == 200 and out.json["message"] == "已安全退出"
    assert works(client, access, refresh) == (False, False)
    assert works(client, other_access, other_refresh) == (True, True)
