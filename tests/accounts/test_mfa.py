"""#10 item 5: staff sign in with a second factor when their role requires
it — TOTP enrolled with a QR code, recovery codes — on the form and the JSON
login alike."""
import re

import pyotp
import pytest
from sqlalchemy import select, text

from app.platform.extensions import db
from models import Account
from tests.conftest import APPLICANT_ID, csrf_token, login, page_text


@pytest.fixture
def mfa_for_office(app, monkeypatch):
    monkeypatch.setitem(app.config, "MFA_REQUIRED_ROLES", "职称办,管理员")


def post_code(client, path, code):
    return client.post(path, data={"code": code, "csrf_token": csrf_token(client, path)})


def enroll(app, client):
    response = login(client, "zcb")
    assert response.status_code == 302 and response.headers["Location"].endswith("/mfa/enroll")
    html = page_text(client.get("/mfa/enroll"))
    assert "<svg" in html
    secret = re.search(r'id="mfa-secret">([A-Z2-7]+)<', html).group(1)
    assert client.get("/").status_code == 302  # not signed in yet
    assert post_code(client, "/mfa/enroll", "000000").status_code == 400
    done = post_code(client, "/mfa/enroll", pyotp.TOTP(secret).now())
    codes = re.findall(r"<li><code>([0-9a-f]{10})</code></li>", page_text(done))
    assert len(codes) == 10
    return secret, codes


def test_staff_enrol_then_need_the_code(app, client, mfa_for_office):
    secret, codes = enroll(app, client)
    assert client.get("/").status_code == 200
    with app.app_context():
        stored = db.session.execute(text("SELECT mfa_secret, mfa_recovery FROM ab_user WHERE username='zcb'")).one()
    assert secret not in stored[0] and codes[0] not in stored[1]

    other = app.test_client()
    response = login(other, "zcb")
    assert response.headers["Location"].endswith("/mfa/verify")
    assert other.get("/").status_code == 302
    assert post_code(other, "/mfa/verify", "123456").status_code == 400
    # The code just used to enrol is not accepted again (no replay).
    assert post_code(other, "/mfa/verify", pyotp.TOTP(secret).now()).status_code == 400
    assert post_code(other, "/mfa/verify", codes[0]).status_code == 302
    assert other.get("/").status_code == 200

    third = app.test_client()
    login(third, "zcb")
    assert post_code(third, "/mfa/verify", codes[0]).status_code == 400  # a recovery code works once
    with app.app_context():
        got = {a for (a,) in db.session.execute(text("SELECT action FROM audit_event"))}
    assert {"mfa.enroll", "mfa.failed", "mfa.ok", "mfa.recovery_code_used"} <= got


def test_roles_without_the_setting_sign_in_directly(app, client, mfa_for_office):
    assert login(client, "baili_hr").headers["Location"].endswith("/")
    assert login(app.test_client(), APPLICANT_ID).headers["Location"].endswith("/")


def test_json_login_needs_the_code_too(app, client, mfa_for_office):
    body = {"username": "zcb", "password": "Demo2026"}
    assert client.post("/api/v1/security/login", json=body).status_code == 403  # not enrolled yet
    secret, codes = enroll(app, app.test_client())
    assert client.post("/api/v1/security/login", json=body).status_code == 401
    assert client.post("/api/v1/security/login", json={**body, "otp": "000000"}).status_code == 401
    ok = client.post("/api/v1/security/login", json={**body, "otp": codes[1]})
    assert ok.status_code == 200 and "access_token" in ok.json


def test_pending_second_step_expires(app, client, mfa_for_office, monkeypatch):
    enroll(app, app.test_client())
    login(client, "zcb")
    import views.account

    monkeypatch.setattr(views.account, "MFA_SECONDS", -1)
    response = client.get("/mfa/verify")
    assert response.status_code == 302 and "/login/" in response.headers["Location"]


def test_production_requires_it_for_staff():
    from config import ProductionConfig

    assert "管理员" in ProductionConfig.MFA_REQUIRED_ROLES and "申报人" not in ProductionConfig.MFA_REQUIRED_ROLES


def test_administrator_resets_a_lost_authenticator(app, client, mfa_for_office, monkeypatch):
    enroll(app, app.test_client())
    monkeypatch.setitem(app.config, "MFA_REQUIRED_ROLES", "职称办")  # the admin signs in directly here
    login(client, "admin")
    with app.app_context():
        zcb = db.session.scalar(select(Account).where(Account.username == "zcb")).id
    response = client.post(f"/users/action/resetmfa/{zcb}", data={"csrf_token": csrf_token(client, "/account/password")})
    assert response.status_code == 302
    assert login(app.test_client(), "zcb").headers["Location"].endswith("/mfa/enroll")
    with app.app_context():
        assert "mfa.reset" in {a for (a,) in db.session.execute(text("SELECT action FROM audit_event"))}
