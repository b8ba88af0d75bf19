"""The whole journey in the browser: the applicant submits, the unit, the
department, the committee (receive; its experts' vote) and the title office approve, and
the applicant sees the 证书编号; then a return, an edit and a resubmission
with the changes highlighted for the reviewer."""
from tests.browser.conftest import shot, sign_in
from tests.conftest import APPLICANT_ID, login
from tests.committee import evaluate
from tests.declaring import declaration_id, fill


def review(page, base, username, button, opinion="", name=None):
    sign_in(page, base, username)
    page.click("#waiting-link")
    page.wait_for_selector(".review-table")
    page.click("text=查看审核")
    page.wait_for_selector("#act-form")
    if opinion:
        page.fill("#opinion", opinion)
    if name:
        shot(page, name)
    page.click(f"#act-{button}")
    page.wait_for_selector(".alert")


def prepared(app):
    client = app.test_client()
    login(client, APPLICANT_ID)
    fill(client, app)


def submit_in_browser(page, base):
    sign_in(page, base, APPLICANT_ID)
    page.goto(base + "/declaration/basic")
    page.check("#pledge")                      # 诚信承诺书
    page.click("#submit-button")               # asks 提交后将不可修改信息，是否提交？ (accepted)
    page.wait_for_url("**/declaration/flow")


def test_from_submission_to_certificate(app, live_server, page):
    prepared(app)
    questions = []
    page.on("dialog", lambda d: (questions.append(d.message), d.accept()))
    submit_in_browser(page, live_server)
    assert questions == ["提交后将不可修改信息，是否提交？"]
    assert "待单位审核" in page.inner_text("#current-status")
    page.goto(live_server + "/declaration/basic")
    assert page.is_disabled("#save-button") and page.is_disabled("#submit-button")
    assert page.is_disabled("#profession")
    shot(page, "flow-01-locked")

    review(page, live_server, "baili_hr", "approve", name="flow-02-unit")
    review(page, live_server, "gxj_zc", "approve")
    review(page, live_server, "gc_pwh", "receive")
    evaluate(app, [declaration_id(app)])      # the experts' vote and an ended 公示 (test_committee_journey.py)
    review(page, live_server, "zcb", "approve", name="flow-03-office")

    sign_in(page, live_server, APPLICANT_ID)
    page.goto(live_server + "/declaration/flow")
    certificate = page.inner_text("#certificate-no")
    assert certificate.endswith("-05-00001")
    assert "已发证" in page.inner_text("#current-status")
    shot(page, "flow-04-certificate")
    page.goto(live_server + "/declaration/basic")
    assert certificate in page.inner_text("#certificate_no")
    assert page.inner_text("#committee_received") == "是"


def test_return_edit_resubmit_with_changes(app, live_server, page):
    prepared(app)
    page.on("dialog", lambda d: d.accept())
    submit_in_browser(page, live_server)
    review(page, live_server, "baili_hr", "return", opinion="现从事专业填写不准确")

    sign_in(page, live_server, APPLICANT_ID)
    page.goto(live_server + "/declaration/flow")
    assert "现从事专业填写不准确" in page.inner_text("#return-reason")
    assert "天津百利机械装备集团有限公司" in page.inner_text("#return-reason")
    shot(page, "flow-05-returned")
    page.goto(live_server + "/declaration/basic")
    page.fill("#profession", "数控机床设计与制造")
    page.click("#save-button")
    page.wait_for_selector("text=保存成功")
    page.check("#pledge")
    page.click("#submit-button")
    page.wait_for_url("**/declaration/flow")
    assert "待单位审核" in page.inner_text("#current-status")

    sign_in(page, live_server, "baili_hr")
    page.click("#waiting-link")
    page.click("text=查看审核")
    changes = page.inner_text("#changes")
    assert "现从事专业：机械设计 → 数控机床设计与制造" in changes
    shot(page, "flow-06-changes")
