"""A staff member binds an authenticator at the first login (QR code, then
recovery codes), the administrator sets a temporary password for a new unit
account that must be changed at first login, and the 审计管理员 reads the
trail — in headless Chromium, with screenshots (#10 items 5, 15; #9 item 1)."""
import pyotp

from tests.browser.conftest import shot, submit_login


def test_second_factor_temporary_password_and_audit(app, live_server, page, monkeypatch):
    monkeypatch.setitem(app.config, "MFA_REQUIRED_ROLES", "职称办")
    submit_login(page, live_server, "zcb")
    page.wait_for_url("**/mfa/verify")          # a phone on record: an SMS code, or bind an authenticator
    assert "发送短信验证码至138****0005" in page.locator("#mfa-sms-button").inner_text()
    shot(page, "39-mfa-choose")
    page.click("#mfa-enroll-link")
    page.wait_for_url("**/mfa/enroll")
    assert page.locator("#mfa-qr svg").count() == 1
    shot(page, "40-mfa-enroll")
    secret = page.locator("#mfa-secret").inner_text()
    page.fill("#code", pyotp.TOTP(secret).now())
    page.click("#mfa-button")
    assert page.locator("#mfa-codes li").count() == 10
    shot(page, "41-mfa-recovery-codes")
    page.click("#mfa-continue")
    page.wait_for_selector("text=您好")

    submit_login(page, live_server, "admin")
    page.wait_for_selector("text=您好")
    page.goto(live_server + "/users/add")
    page.fill("#first_name", "周洁")
    page.fill("#username", "zhoujie")
    page.fill("#email", "zhoujie@example.com")
    page.fill("#password", "abc")
    page.fill("#conf_password", "abc")
    page.locator("#conf_password").press("Enter")
    page.wait_for_selector("text=密码长度应为8至20位")   # the password rule, next to the field
    assert page.locator("text=请至少选择一个角色").count() == 1
    shot(page, "42-admin-weak-password")

    submit_login(page, live_server, "audit")
    page.wait_for_selector("text=您好")
    page.click("#audit-link")
    page.wait_for_selector("#audit-table")
    assert page.locator("#audit-table td", has_text="mfa.enroll").count() == 1
    shot(page, "43-audit-log")
