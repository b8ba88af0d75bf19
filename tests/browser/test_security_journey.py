"""A staff member signs in with each second factor — the SMS code (read from
the development SMS outbox), then the authenticator bound right after it —
and the skipped step (binding an authenticator while the SMS code is still
owed) is refused; the administrator sets a temporary password for a new unit
account that must be changed at first login, and the 审计管理员 reads the
trail, the refused step included — in headless Chromium, with screenshots
(#10 items 5, 15; #9 item 1)."""
import re
import time

import pyotp

from tests.browser.conftest import shot, submit_login
from tests.conftest import last_code

ZCB_PHONE = "13800000005"


def test_second_factor_temporary_password_and_audit(app, live_server, page, monkeypatch):
    monkeypatch.setitem(app.config, "MFA_REQUIRED_ROLES", "职称办")
    submit_login(page, live_server, "zcb")
    page.wait_for_url("**/mfa/verify")          # a phone on record: the SMS code is the factor to give
    assert "发送短信验证码至138****0005" in page.locator("#mfa-sms-button").inner_text()
    shot(page, "39-mfa-choose")

    # The skipped step: binding an own authenticator with the password alone.
    page.goto(live_server + "/mfa/enroll")
    page.wait_for_url("**/mfa/verify")
    page.wait_for_selector("text=请先完成短信验证，验证通过后再绑定身份验证器")
    assert page.locator("#mfa-qr").count() == 0 and page.locator("#mfa-secret").count() == 0
    assert page.locator("#mfa-enrol-note").count() == 1
    shot(page, "39b-mfa-enroll-refused")

    page.click("#mfa-sms-button")
    page.wait_for_selector("text=短信验证码已发送至138****0005")
    page.fill("#code", last_code(app, ZCB_PHONE))
    page.click("#mfa-button")
    page.wait_for_url("**/mfa/enroll")          # the SMS code given: binding follows, in the same login
    assert page.locator("#mfa-qr svg").count() == 1 and page.locator("#mfa-skip").count() == 1
    shot(page, "40-mfa-enroll")
    secret = page.locator("#mfa-secret").inner_text()
    page.fill("#code", pyotp.TOTP(secret).now())
    page.click("#mfa-button")
    assert page.locator("#mfa-codes li").count() == 10
    shot(page, "41-mfa-recovery-codes")
    page.click("#mfa-continue")
    page.wait_for_selector("text=您好")

    # The next login with the authenticator (the next time step: a code is used once).
    submit_login(page, live_server, "zcb")
    page.wait_for_url("**/mfa/verify")
    page.fill("#code", pyotp.TOTP(secret).at(time.time() + 30))
    page.click("#mfa-button")
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
    assert page.locator("#audit-table td").filter(has_text=re.compile(r"绑定身份验证器（mfa\.enroll）")).count() == 1
    assert page.locator("#audit-table td", has_text="绑定身份验证器被拒绝（mfa.enroll_refused）").count() == 1
    shot(page, "43-audit-log")
