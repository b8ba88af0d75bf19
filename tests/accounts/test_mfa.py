"""#10 item 5: staff sign in with a second factor when their role requires
it — TOTP enrolled with a QR code, recovery codes, or an SMS code to the
phone on record — on the form and the JSON login alike."""
import re

import pyotp
import pytest
from sqlalchemy import select, text

from app.platform.extensions import db
from models import Account
from tests.conftest import APPLICANT_ID, csrf_token, last_code, login, outbox, page_text


@pytest.fixture
def mfa_for_office(app, monkeypatch):
    """The second factor for 职称办 and 管理员, by authenticator only."""
    monkeypatch.setitem(app.config, "MFA_REQUIRED_ROLES", "职称办,管理员")
    monkeypatch.setitem(app.config, "MFA_SMS", False)


@pytest.fixture
def mfa_by_sms(app, mfa_for_office, monkeypatch):
    monkeypatch.setitem(app.config, "MFA_SMS", True)


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
    enrol_code = pyotp.TOTP(secret).now()
    done = post_code(client, "/mfa/enroll", enrol_code)
    codes = re.findall(r"<li><code>([0-9a-f]{10})</code></li>", page_text(done))
    assert len(codes) == 10
    client.enrol_code = enrol_code
    return secret, codes


def test_staff_enrol_then_need_the_code(app, client, mfa_for_office):
    secret, codes = enroll(app, client)
    used = client.enrol_code
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
    assert post_code(other, "/mfa/verify", used).status_code == 400
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
    """Every role but the applicant's signs in with a second factor in
    production, the experts who vote included; development keeps the demo's
    direct sign-in."""
    from config import DevelopmentConfig, ProductionConfig
    from permissions.roles import ADMIN_ROLE, APPLICANT_ROLE, PUBLIC_ROLE, ROLE_PERMISSIONS

    required = set(ProductionConfig.MFA_REQUIRED_ROLES.split(","))
    assert required == {ADMIN_ROLE, *ROLE_PERMISSIONS} - {APPLICANT_ROLE, PUBLIC_ROLE}
    assert "评审专家" in required and DevelopmentConfig.MFA_REQUIRED_ROLES == ""


def test_an_expert_gives_the_sms_code_with_the_production_roles(app, client, monkeypatch):
    from config import ProductionConfig

    monkeypatch.setitem(app.config, "MFA_REQUIRED_ROLES", ProductionConfig.MFA_REQUIRED_ROLES)
    with app.app_context():
        phone = db.session.scalar(select(Account).where(Account.username == "zj_wanglei")).phone
    assert login(client, "zj_wanglei").headers["Location"].endswith("/mfa/verify")
    assert client.get("/").status_code == 302
    send_sms(client)
    assert post_code(client, "/mfa/verify", last_code(app, phone)).status_code == 302
    assert client.get("/").status_code == 200


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


# -- the second factor by SMS (for staff without an authenticator app) --

ZCB_PHONE = "13800000005"


def send_sms(client, page="/mfa/verify"):
    return client.post("/mfa/sms", data={"csrf_token": csrf_token(client, page)})


def audit_actions(app) -> list[str]:
    with app.app_context():
        return [a for (a,) in db.session.execute(text("SELECT action FROM audit_event ORDER BY id"))]


def test_staff_without_an_authenticator_sign_in_with_an_sms_code(app, client, mfa_by_sms):
    response = login(client, "zcb")
    assert response.headers["Location"].endswith("/mfa/verify")       # not forced to enrol first
    page = page_text(client.get("/mfa/verify"))
    assert "发送短信验证码至138****0005" in page and ZCB_PHONE not in page
    assert post_code(client, "/mfa/verify", "123456").status_code == 400   # nothing sent yet: no code is right
    assert outbox(app) == []
    sent = send_sms(client)
    assert sent.status_code == 302 and sent.headers["Location"].endswith("/mfa/verify")
    assert "短信验证码已发送至138****0005" in page_text(client.get("/mfa/verify"))
    code = last_code(app, ZCB_PHONE)
    wrong = "000000" if code != "000000" else "111111"
    refused = post_code(client, "/mfa/verify", wrong)
    assert refused.status_code == 400 and "验证码错误" in page_text(refused)
    assert client.get("/").status_code == 302                          # still not signed in
    assert post_code(client, "/mfa/verify", code).status_code == 302
    assert client.get("/").status_code == 200
    assert {"mfa.sms_sent", "mfa.failed", "mfa.ok"} <= set(audit_actions(app))

    other = app.test_client()                                          # the code was used once
    login(other, "zcb")
    assert post_code(other, "/mfa/verify", code).status_code == 400
    assert other.get("/").status_code == 302


def test_an_sms_code_is_sent_once_a_minute_and_five_wrong_codes_end_the_attempt(app, client, mfa_by_sms):
    login(client, "zcb")
    send_sms(client)
    again = send_sms(client)
    assert again.status_code == 302 and "秒后再试" in page_text(client.get("/mfa/verify"))
    assert len(outbox(app)) == 1
    code = last_code(app, ZCB_PHONE)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        assert post_code(client, "/mfa/verify", wrong).status_code == 400
    assert post_code(client, "/mfa/verify", code).status_code == 400    # too late, even with the right code
    assert client.get("/").status_code == 302


def test_the_sms_step_needs_a_pending_login_a_phone_the_setting_and_a_form_token(app, client, mfa_by_sms,
                                                                                 monkeypatch):
    anonymous = app.test_client()
    response = anonymous.post("/mfa/sms", data={"csrf_token": csrf_token(anonymous, "/login/")})
    assert response.status_code == 302 and "/login/" in response.headers["Location"]
    login(client, "zcb")
    assert client.post("/mfa/sms").status_code == 400                   # forged: no CSRF token
    with app.app_context():
        db.session.execute(text("UPDATE ab_user SET phone = NULL, phone_hmac = NULL WHERE username = 'admin'"))
        db.session.commit()
    admin = app.test_client()
    assert login(admin, "admin").headers["Location"].endswith("/mfa/enroll")   # no phone: the authenticator
    assert admin.get("/mfa/verify").headers["Location"].endswith("/mfa/enroll")
    assert send_sms(admin, "/mfa/enroll").status_code == 404
    monkeypatch.setitem(app.config, "MFA_SMS", False)
    assert "短信" not in page_text(client.get("/mfa/enroll"))
    assert send_sms(client, "/mfa/enroll").status_code == 404
    assert outbox(app) == []


def test_an_enrolled_person_who_lost_the_phone_app_may_use_sms(app, client, mfa_for_office, monkeypatch):
    enroll(app, client)
    monkeypatch.setitem(app.config, "MFA_SMS", True)
    other = app.test_client()
    assert login(other, "zcb").headers["Location"].endswith("/mfa/verify")
    assert "没有身份验证器？发送短信验证码" in page_text(other.get("/mfa/verify"))
    send_sms(other)
    assert post_code(other, "/mfa/verify", last_code(app, ZCB_PHONE)).status_code == 302
    assert other.get("/").status_code == 200


# -- no step of the second factor out of order --

def stored_secret(app, username="zcb"):
    with app.app_context():
        return db.session.scalar(select(Account).where(Account.username == username)).mfa_secret


def try_to_bind_an_own_authenticator(client):
    """What an attacker with the password only does: open the enrolment page
    and bind an authenticator of their own."""
    page = client.get("/mfa/enroll")
    found = re.search(r'id="mfa-secret">([A-Z2-7]+)<', page_text(page))
    code = pyotp.TOTP(found.group(1)).now() if found else pyotp.TOTP(pyotp.random_base32()).now()
    token = csrf_token(client, "/mfa/verify")
    return page, client.post("/mfa/enroll", data={"code": code, "csrf_token": token})


def test_a_phone_on_record_is_the_factor_to_pass_before_binding_an_authenticator(app, client, mfa_by_sms):
    assert login(client, "zcb").headers["Location"].endswith("/mfa/verify")
    opened, posted = try_to_bind_an_own_authenticator(client)
    assert opened.status_code == 302 and opened.headers["Location"].endswith("/mfa/verify")
    assert "mfa-secret" not in page_text(opened)
    assert posted.status_code == 302 and posted.headers["Location"].endswith("/mfa/verify")
    assert client.get("/").status_code == 302                          # not signed in
    assert stored_secret(app) is None                                  # nothing bound
    assert "请先完成短信验证" in page_text(client.get("/mfa/verify"))
    assert audit_actions(app).count("mfa.enroll_refused") == 2

    # In order: the SMS code of this same login first, then the binding.
    send_sms(client)
    done = post_code(client, "/mfa/verify", last_code(app, ZCB_PHONE))
    assert done.status_code == 302 and done.headers["Location"].endswith("/mfa/enroll")
    assert client.get("/").status_code == 302                          # binding comes before signing in
    html = page_text(client.get("/mfa/enroll"))
    secret = re.search(r'id="mfa-secret">([A-Z2-7]+)<', html).group(1)
    bound = post_code(client, "/mfa/enroll", pyotp.TOTP(secret).now())
    assert bound.status_code == 200 and len(re.findall(r"<li><code>", page_text(bound))) == 10
    assert client.get("/").status_code == 200 and stored_secret(app) == secret

    # Bound now: a later login cannot bind another one (an administrator's reset first).
    other = app.test_client()
    login(other, "zcb")
    opened, posted = try_to_bind_an_own_authenticator(other)
    assert opened.headers["Location"].endswith("/mfa/verify") and posted.headers["Location"].endswith("/mfa/verify")
    assert other.get("/").status_code == 302 and stored_secret(app) == secret


def test_the_sms_code_counts_for_its_own_login_only(app, client, mfa_by_sms):
    """Passing the SMS step lets this pending login bind; a new login starts
    from the password again."""
    login(client, "zcb")
    client.get("/mfa/verify?enrol=1")
    send_sms(client)
    assert post_code(client, "/mfa/verify", last_code(app, ZCB_PHONE)).headers["Location"].endswith("/mfa/enroll")
    login(client, "zcb")                                               # a new password step in the same browser
    opened, posted = try_to_bind_an_own_authenticator(client)
    assert opened.headers["Location"].endswith("/mfa/verify") and posted.headers["Location"].endswith("/mfa/verify")
    assert client.get("/").status_code == 302 and stored_secret(app) is None


def test_after_the_sms_code_binding_may_be_left_for_later(app, client, mfa_by_sms):
    login(client, "zcb")
    page = page_text(client.get("/mfa/verify"))
    assert 'href="/mfa/verify?enrol=1"' in page
    assert "验证通过后绑定身份验证器" in page_text(client.get("/mfa/verify?enrol=1"))
    send_sms(client)
    assert post_code(client, "/mfa/verify", last_code(app, ZCB_PHONE)).headers["Location"].endswith("/mfa/enroll")
    assert "暂不绑定" in page_text(client.get("/mfa/enroll"))
    skipped = client.get("/mfa/verify")
    assert skipped.status_code == 302 and client.get("/").status_code == 200
    assert stored_secret(app) is None


def test_an_account_without_any_factor_binds_at_its_first_login(app, client, mfa_for_office):
    """No phone usable (or SMS off) and no authenticator: the first login binds
    one — the state a new account or an administrator's reset leaves."""
    assert login(client, "zcb").headers["Location"].endswith("/mfa/enroll")
    html = page_text(client.get("/mfa/enroll"))
    secret = re.search(r'id="mfa-secret">([A-Z2-7]+)<', html).group(1)
    assert post_code(client, "/mfa/enroll", pyotp.TOTP(secret).now()).status_code == 200
    assert client.get("/").status_code == 200


def test_binding_refuses_an_account_that_has_a_factor(app, mfa_by_sms):
    """The rule lives in the capability, not only in the page."""
    from app.accounts import mfa

    with app.test_request_context():
        user = db.session.scalar(select(Account).where(Account.username == "zcb"))
        secret = mfa.new_secret()
        assert mfa.enroll(user, secret, pyotp.TOTP(secret).now()) is None
        assert mfa.enroll(user, secret, pyotp.TOTP(secret).now(), factor_passed=True) is not None
        db.session.expire_all()
        user = db.session.scalar(select(Account).where(Account.username == "zcb"))
        again = mfa.new_secret()
        assert mfa.enroll(user, again, pyotp.TOTP(again).now(), factor_passed=True) is None
        db.session.expire_all()
        assert db.session.scalar(select(Account).where(Account.username == "zcb")).mfa_secret == secret


def test_refused_sms_clicks_do_not_count_and_the_lock_says_until_when(app, client, mfa_by_sms, monkeypatch):
    from app.platform.kvstore import kv
    monkeypatch.setitem(app.config, "RATELIMIT_ENABLED", True)
    monkeypatch.setitem(app.config, "RATE_LIMIT_SMS_PER_PHONE", "2 per hour")
    login(client, "zcb")
    for _ in range(4):                      # one sent, three refused by the once-a-minute rule
        send_sms(client)
    assert len(outbox(app)) == 1
    with app.app_context():
        kv().delete(f"sms-sent:mfa:{ZCB_PHONE}")   # the minute has passed
    send_sms(client)
    assert len(outbox(app)) == 2            # the refused clicks used none of the quota
    with app.app_context():
        kv().delete(f"sms-sent:mfa:{ZCB_PHONE}")
    send_sms(client)
    assert len(outbox(app)) == 2
    page = page_text(client.get("/mfa/verify"))
    assert re.search(r"短信发送次数过多，请于(\d+月\d+日)?\d\d:\d\d后再试", page), page[-2000:]


def test_five_wrong_codes_say_until_when(app, client, mfa_by_sms):
    login(client, "zcb")
    send_sms(client)
    code = last_code(app, ZCB_PHONE)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        post_code(client, "/mfa/verify", wrong)
    locked = page_text(post_code(client, "/mfa/verify", code))
    assert re.search(r"验证码错误次数过多，请于(\d+月\d+日)?\d\d:\d\d后再试", locked)
