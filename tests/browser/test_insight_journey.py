"""The title office's season in the browser: 统计分析 filtered by series with
a chart, its table and the Excel export; an announcement published on the
login page that disappears after its end date; a reviewer's overdue mark and
the reminder in 我的消息."""
import io
from datetime import timedelta

from openpyxl import load_workbook
from sqlalchemy import select

from app.insight.time_limits import remind_overdue
from app.platform.extensions import db
from models import Announcement, clock
from tests.browser.conftest import shot, sign_in
from tests.insight.world import place


def test_statistics_chart_table_and_export(app, live_server, page):
    with app.app_context():
        place(1, "approved", clock.now() - timedelta(days=2))
        place(2, "unit_review", clock.now() - timedelta(days=1))
        place(3, "unit_review", clock.now(), series="04", unit="天津市第一中心医院",
              department="天津市卫生健康委员会", committee="天津市卫生技术高级评委会")
    sign_in(page, live_server, "zcb")
    page.click("#statistics-link")
    page.wait_for_selector("#stat-series svg")
    page.select_option("#filter-series", "05")
    page.click("#statistics-filter-button")
    page.wait_for_url("**series=05**")
    block = page.locator("#stat-series")
    assert block.locator("svg rect").count() == 1                  # one bar: 工程技术人员
    assert block.locator("table tbody tr").all_inner_texts() == ["工程技术人员\t2"]
    assert page.locator("#stat-status svg path, #stat-status svg circle").count() >= 1   # the pie
    shot(page, "insight-01-statistics")
    with page.expect_download() as download:
        page.click("#export-series")
    sheet = load_workbook(io.BytesIO(open(download.value.path(), "rb").read())).active
    assert [[c.value for c in r] for r in sheet.iter_rows()] == [["系列", "申报数"], ["工程技术人员", 2]]


def test_announcement_on_the_login_page_until_its_end_date(app, live_server, page):
    sign_in(page, live_server, "zcb")
    page.click("#manage-notices")
    page.click("a[href$='/notices/manage/add']")
    page.fill("#title", "关于开展2026年度职称评审工作的通知")
    page.fill("#body", "各单位：请于规定时间内完成申报。")
    # FAB's date picker input: set the value as a picked date would
    for field, day in (("#publish_on", clock.today()), ("#unpublish_on", clock.today() + timedelta(days=7))):
        page.eval_on_selector(field, "(e, v) => { e.value = v; }", day.isoformat())
    page.check("#pinned")
    page.click("#model_form button[type=submit]")
    page.wait_for_selector(".alert-success")
    page.context.clear_cookies()
    page.goto(live_server + "/login/")
    assert "关于开展2026年度职称评审工作的通知" in page.inner_text("#notice-list")
    shot(page, "insight-02-login-notice")
    page.click("text=关于开展2026年度职称评审工作的通知")
    assert "请于规定时间内完成申报" in page.inner_text(".notice-body")
    with app.app_context():   # a week later: past its end date (dates moved back through the ORM, as a save would)
        for notice in db.session.scalars(select(Announcement)):
            notice.publish_on, notice.unpublish_on = clock.today() - timedelta(days=9), clock.today() - timedelta(days=1)
        db.session.commit()
    page.goto(live_server + "/login/")
    assert "关于开展2026年度职称评审工作的通知" not in page.inner_text("#notice-list")


def test_reviewer_sees_overdue_mark_and_reminder(app, live_server, page):
    with app.app_context():
        late = place(1, "unit_review", clock.now() - timedelta(days=14))
        late_id = late.id
        remind_overdue()
    sign_in(page, live_server, "baili_hr")
    page.click("#waiting-link")
    row = page.locator(f"#declaration-{late_id}")
    assert "超期" in row.locator(".overdue-mark").inner_text()
    assert "个工作日" in row.locator(".waited").inner_text()
    shot(page, "insight-03-overdue")
    page.goto(live_server + "/")
    page.click("#messages-link")
    assert "已超过处理时限（5个工作日）" in page.inner_text(".message-list")
    shot(page, "insight-04-reminder")


def test_swagger_page_runs_under_the_csp(live_server, page):
    sign_in(page, live_server, "zcb")
    page.goto(live_server + "/api/docs/")
    page.wait_for_selector(".swagger-ui .opblock-summary-path")   # the operations, read from the OpenAPI document
    assert "/api/v1/declarations/{pk}/steps" in page.inner_text("#swagger-ui")
    shot(page, "insight-05-swagger")
