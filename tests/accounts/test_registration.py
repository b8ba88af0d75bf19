"""Registration (manual 1.1.1, A1–A5): agreement, form, SMS code, success."""
import re

import pytest
from sqlalchemy import select, text

from app.data.demo import ACCOUNTS, EXPERTS
from app.platform.extensions import db
from models import Account
from tests.conftest import CAPTCHA, csrf_token, last_code, outbox, page_text

NEW_ID = "11010519491231002X"
DEMO_ACCOUNTS = len(ACCOUNTS) + len(EXPERTS)
NEW_PHONE = "13912345678"


def agree(client):
    token = csrf_token(client, "/register/")
    return client.post("/register/", data={"agree": "y", "csrf_token": token})


def send_code(client, phone=NEW_PHONE, captcha=CAPTCHA):
    token = csrf_token(client, "/register/form")
    return client.post("/register/sms", data={"phone": phone, "captcha": captcha, "csrf_token": token},
                       headers={"Accept": "application/json"})


def form_data(client, **changes):
    data = {
        "name": "刘晓燕", "id_number": NEW_ID.lower(), "email": "Liu@Example.com", "password": "abc12345",
        "confirm": "abc12345", "captcha": CAPTCHA, "phone": NEW_PHONE, "sms_code": "",
        "csrf_token": csrf_token(client, "/register/form"),
    }
    data.update(changes)
    return data


def count_accounts(app):
    with app.app_context():
        return db.session.scalar(text("SELECT count(*) FROM ab_user"))


def test_login_page_links_to_agreement(client):
    html = page_text(client.get("/login/"))
    assert "还没有账号？点击这里注册" in html
    html = page_text(client.get("/register/"))
    assert "天津市职称评审网上申报协议" in html
    assert ">同意<" in html


def test_form_requires_agreement(client):
    response = client.get("/register/form")
    assert response.status_code == 302 and response.headers["Location"].endswith("/register/")
    response = client.post("/register/", data={"csrf_token": csrf_token(client, "/register/")})
    assert response.status_code == 400
    assert "请先勾选同意申报协议" in page_text(response)


def test_full_registration(app, client):
    assert agree(client).status_code == 302
    html = page_text(client.get("/register/form"))
    for label in ["姓名", "身份证号", "邮箱", "密码", "确认密码", "验证码", "手机号", "获取手机验证码", "手机验证码",
                  "立即注册"]:
        assert label in html
    response = send_code(client)
    assert response.status_code == 200 and response.json["ok"], response.json
    code = last_code(app, NEW_PHONE)
    message = outbox(app)[-1]
    assert set(message) == {"phone", "text", "time"} and "3分钟" in message["text"]

    response = client.post("/register/form", data=form_data(client, sms_code=code))
    assert response.status_code == 302 and response.headers["Location"].endswith("/register/success")
    html = page_text(client.get("/register/success"))
    assert "注册成功" in html and "返回登录页面" in html
    with app.app_context():
        user = db.session.scalar(select(Account).where(Account.id_number_is(NEW_ID)))
        assert user.id_number == NEW_ID  # lowercase x stored as X
        assert user.first_name == "刘晓燕" and user.phone == NEW_PHONE and user.email == "liu@example.com"
        assert [r.name for r in user.roles] == ["申报人"]
        assert user.password.startswith("pbkdf2:") and "abc12345" not in user.password
        assert user.agreement_accepted_at is not None


def test_code_is_single_use(app, client):
    agree(client)
    send_code(client)
    code = last_code(app, NEW_PHONE)
    assert client.post("/register/form", data=form_data(client, sms_code=code)).status_code == 302
    other = app.test_client()
    agree(other)
    response = other.post("/register/form", data=form_data(other, sms_code=code, id_number="120102198506150025",
                                                           email="b@example.com"))
    assert response.status_code == 400
    assert count_accounts(app) == DEMO_ACCOUNTS + 1


@pytest.mark.parametrize("field, value, message", [
    ("name", "", "请输入姓名"),
    ("name", "张三3", "姓名只能包含文字"),
    ("name", "<script>", "姓名只能包含文字"),
    ("id_number", "", "请输入身份证号"),
    ("id_number", "110105194912310021", "校验位"),
    ("id_number", "11010519491331002X", "出生日期"),
    ("email", "not-an-email", "邮箱格式不正确"),
    ("password", "12345678a", "字母开头"),
    ("password", "abcdefgh", "同时包含字母和数字"),
    ("password", "abc12", "8至20位"),
    ("confirm", "abc123456", "两次输入的密码不一致"),
    ("captcha", "WRONG", "图形验证码错误"),
    ("captcha", "", "请输入验证码"),
    ("phone", "12345", "手机号应为以1开头的11位数字"),
    ("sms_code", "", "请输入手机验证码"),
    ("sms_code", "000000", "手机验证码"),
])
def test_each_bad_field_has_its_message_and_input_is_kept(app, client, field, value, message):
    agree(client)
    send_code(client)
    code = last_code(app, NEW_PHONE)
    data = form_data(client, sms_code=code)
    data[field] = value
    response = client.post("/register/form", data=data)
    assert response.status_code == 400
    html = page_text(response)
    errors = re.findall(r'field-error" data-for="([a-z_]+)">([^<]+)<', html)
    assert any(f == field and message in m for f, m in errors), errors
    if field != "name":
        assert 'value="刘晓燕"' in html          # what was typed stays
    if field != "email":
        assert "Liu@Example.com" in html
    assert "abc12345" not in html                # passwords are never echoed
    assert count_accounts(app) == DEMO_ACCOUNTS              # nothing created
    if field not in ("sms_code",):
        # the code was not used up by a form with other errors
        assert client.post("/register/form", data=form_data(client, sms_code=code)).status_code == 302


def test_duplicate_id_phone_and_email(app, client):
    agree(client)
    send_code(client, phone="13912345679")
    code = last_code(app, "13912345679")
    response = client.post("/register/form", data=form_data(
        client, id_number="120101199003070013", phone="13912345679", email="Baili_HR@example.com",
        sms_code=code))
    html = page_text(response)
    assert response.status_code == 400
    assert "该身份证号已注册" in html and "该邮箱已被注册" in html
    assert count_accounts(app) == DEMO_ACCOUNTS


def test_phone_registered_once(app, client):
    """#10 item 2: the answer for a registered phone is the one for a free
    phone; the owner gets a notice instead of a code."""
    agree(client)
    response = send_code(client, phone="13800000001")  # the demo applicant's phone
    free = send_code(client, phone=NEW_PHONE)
    assert response.status_code == free.status_code == 200
    assert response.json["message"] == free.json["message"]
    notices = [m["text"] for m in outbox(app) if m["phone"] == "13800000001"]
    assert len(notices) == 1 and "验证码" not in notices[0] and "已注册" in notices[0]


def test_sms_needs_captcha_and_valid_phone(app, client):
    agree(client)
    app.config["CAPTCHA_FIXED_CODE"] = None
    response = send_code(client, captcha="")
    assert response.status_code == 400 and response.json["field"] == "captcha"
    response = send_code(client, phone="2345")
    assert response.status_code == 400 and response.json["field"] == "phone"
    assert outbox(app) == []


def test_one_send_per_minute_per_phone(app, client):
    agree(client)
    assert send_code(client).status_code == 200
    response = send_code(client)
    assert response.status_code == 429 and "秒后再试" in response.json["message"]
    assert len(outbox(app)) == 1


def test_code_expires_after_three_minutes(app, client):
    agree(client)
    send_code(client)
    code = last_code(app, NEW_PHONE)
    with app.app_context():
        db.session.execute(text("UPDATE kv_entry SET expires_at = 0 WHERE key LIKE 'sms:%'"))
        db.session.commit()
    response = client.post("/register/form", data=form_data(client, sms_code=code))
    assert response.status_code == 400 and "已失效" in page_text(response)
    assert app.config["SMS_CODE_TTL_SECONDS"] == 180


def test_five_wrong_tries_kill_the_code(app, client):
    agree(client)
    send_code(client)
    code = last_code(app, NEW_PHONE)
    wrong = "111111" if code != "111111" else "222222"
    for _ in range(5):
        assert client.post("/register/form", data=form_data(client, sms_code=wrong)).status_code == 400
    response = client.post("/register/form", data=form_data(client, sms_code=code))
    assert response.status_code == 400 and "重新获取" in page_text(response)


def test_code_stored_hashed(app, client):
    agree(client)
    send_code(client)
    code = last_code(app, NEW_PHONE)
    with app.app_context():
        stored = " ".join(v for (v,) in db.session.execute(text("SELECT value FROM kv_entry")))
    assert code not in stored


def test_sms_rate_limit_per_phone(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "RATE_LIMIT_SMS_PER_PHONE", "1 per hour")
    agree(client)
    assert send_code(client).status_code == 200
    with app.app_context():
        db.session.execute(text("DELETE FROM kv_entry WHERE key LIKE 'sms-sent:%'"))  # skip the 60 s wait
        db.session.commit()
    response = send_code(client)
    assert response.status_code == 429
    assert re.fullmatch(r"短信发送次数过多，请于(\d+月\d+日)?\d\d:\d\d后再试", response.json["message"])
    assert len(outbox(app)) == 1


def test_forged_post_without_csrf_is_refused(app, client):
    agree(client)
    data = form_data(client)
    del data["csrf_token"]
    response = client.post("/register/form", data=data)
    assert response.status_code == 400
    response = client.post("/register/sms", data={"phone": NEW_PHONE, "captcha": CAPTCHA})
    assert response.status_code == 400
    assert outbox(app) == [] and count_accounts(app) == DEMO_ACCOUNTS
