"""A person registers with an SMS code read from the outbox, logs in,
changes the password and logs out — in headless Chromium, with screenshots."""
from tests.browser.conftest import shot
from tests.conftest import CAPTCHA, last_code

ID = "11010519491231002x"
PHONE = "13912345670"


def test_register_login_change_password_logout(app, live_server, page):
    page.goto(live_server + "/login/")
    shot(page, "01-login")
    page.click("text=还没有账号？点击这里注册")
    page.wait_for_url("**/register/")
    page.click("#agree-button")                       # not ticked yet
    assert page.locator(".field-error").inner_text() == "请先勾选同意申报协议"
    page.check("#agree")
    shot(page, "02-agreement")
    page.click("#agree-button")
    page.wait_for_url("**/register/form")

    page.fill("#name", "刘晓燕")
    page.fill("#id_number", ID)
    page.fill("#email", "liu@example.com")
    page.fill("#password", "abc12345")
    page.fill("#confirm", "abc12346")                 # a typo, to see the message
    page.fill("#captcha", CAPTCHA)
    page.fill("#phone", PHONE)
    page.click("#sms-button")
    page.wait_for_selector("#sms-status.ok")
    assert "验证码已发送" in page.inner_text("#sms-status")
    assert page.is_disabled("#sms-button")           # 60 s countdown
    page.fill("#sms_code", last_code(app, PHONE))
    page.click("#register-button")
    page.wait_for_selector(".field-error")
    assert "两次输入的密码不一致" in page.inner_text("body")
    assert page.input_value("#name") == "刘晓燕" and page.input_value("#phone") == PHONE  # nothing lost
    shot(page, "03-register-error")
    page.fill("#password", "abc12345")
    page.fill("#confirm", "abc12345")
    page.fill("#captcha", CAPTCHA)
    page.click("#register-button")
    page.wait_for_url("**/register/success")
    shot(page, "04-register-success")
    page.click("text=返回登录页面")

    page.wait_for_url("**/login/")
    page.fill("#username", ID)                        # lowercase x logs in
    page.fill("#password", "abc12345")
    page.fill("#captcha", CAPTCHA)
    page.click("#login-button")
    page.wait_for_selector("text=您好，刘晓燕")
    shot(page, "05-home")

    page.click("#user-menu")
    page.click("text=修改密码")
    page.wait_for_url("**/account/password")
    page.fill("#old_password", "abc12345")
    page.fill("#new_password", "new2026pass")
    page.fill("#confirm", "new2026pass")
    page.click("#password-save")
    page.wait_for_selector("text=密码修改成功")
    shot(page, "06-password-changed")

    page.click("#user-menu")
    page.click("text=退出")
    page.wait_for_url("**/login/")
    assert "您已安全退出" in page.inner_text("body")
    page.goto(live_server + "/")
    page.wait_for_url("**/login/")

    page.fill("#username", ID.upper())
    page.fill("#password", "new2026pass")
    page.fill("#captcha", CAPTCHA)
    page.click("#login-button")
    page.wait_for_selector("text=您好，刘晓燕")


def test_forgot_password_from_the_login_page(app, live_server, page):
    page.goto(live_server + "/login/")
    page.fill("#username", "120101199003070013")
    page.fill("#captcha", CAPTCHA)
    page.click("#forgot-button")
    page.wait_for_url("**/login/")
    assert "临时密码已发送" in page.inner_text("body")
    shot(page, "07-forgot-sent")
