"""The calendar never rewrites a date a person typed or pasted (申报年度设置,
通知公告): leaving the field keeps it; a day that does not exist is said
beside the box and, once sent, answered by the server beside the field."""
from models.registry.fields import DATE_IMPOSSIBLE
from tests.browser.conftest import shot, sign_in


def paste(page, selector, text):
    """What a browser does on Ctrl+V: a paste event, then — unless a script
    cancelled it — the text goes into the box."""
    page.click(selector)
    page.fill(selector, "")
    cancelled = page.evaluate("""([selector, text]) => {
        const data = new DataTransfer();
        data.setData("text/plain", text);
        const event = new ClipboardEvent("paste", {clipboardData: data, bubbles: true, cancelable: true});
        return !document.querySelector(selector).dispatchEvent(event);
    }""", [selector, text])
    if not cancelled:
        page.keyboard.insert_text(text)


def leave(page, selector):
    page.press(selector, "Tab")
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.wait_for_timeout(100)


def test_typed_and_pasted_dates_stay_as_they_were(app, live_server, page):
    sign_in(page, live_server, "zcb")
    page.goto(live_server + "/years/add")
    page.fill("#year", "2031")
    page.click("#opens_on")
    page.keyboard.type("2027-02-30")
    page.keyboard.press("ArrowLeft")           # moving the cursor does not move the date
    leave(page, "#opens_on")
    assert page.input_value("#opens_on") == "2027-02-30"
    assert DATE_IMPOSSIBLE in page.inner_text("#opens_on >> xpath=ancestor::div[contains(@class,'date-field')]/..")
    paste(page, "#closes_on", "20311231")
    page.keyboard.press("Enter")               # Enter in the box does not re-read it either
    leave(page, "#closes_on")
    assert page.input_value("#closes_on") == "20311231"
    page.click("#opens_on")
    page.fill("#opens_on", "")
    page.keyboard.type("20270301")
    leave(page, "#opens_on")
    assert page.input_value("#opens_on") == "20270301"
    page.fill("#opens_on", "2027-02-30")
    page.click("form:has(#opens_on) [type=submit]")
    page.wait_for_load_state()
    assert page.input_value("#opens_on") == "2027-02-30"
    assert DATE_IMPOSSIBLE in page.inner_text("form:has(#opens_on)")
    shot(page, "dates-year-impossible")

    page.goto(live_server + "/notices/manage/add")
    paste(page, "#publish_on", "2027年3月1日")
    leave(page, "#publish_on")
    assert page.input_value("#publish_on") == "2027年3月1日"
    paste(page, "#unpublish_on", "2027/3/31")
    leave(page, "#unpublish_on")
    assert page.input_value("#unpublish_on") == "2027/3/31"
    shot(page, "dates-notice-pasted")
    page.fill("#title", "粘贴日期的通知")
    page.fill("#body", "正文")
    page.click("form:has(#publish_on) [type=submit]")
    page.wait_for_load_state()
    shot(page, "dates-notice-saved")
    from sqlalchemy import select

    from app.platform.extensions import db
    from models import Announcement
    with app.app_context():
        notice = db.session.scalar(select(Announcement).where(Announcement.title == "粘贴日期的通知"))
        assert notice is not None and notice.publish_on.isoformat() == "2027-03-01"
        assert notice.unpublish_on.isoformat() == "2027-03-31"
