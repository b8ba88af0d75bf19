"""Two journeys of #9: the administrator sees the units as a tree, is refused
deleting a unit in use and merges it instead; after the title office opens the
next 申报年度, the applicant still sees last year's record and starts the new
declaration from a copy of it."""
from datetime import timedelta

from sqlalchemy import select

from app.platform.extensions import db
from models import DeclarationYear, Organisation, clock
from tests.browser.conftest import shot, sign_in
from tests.committee import evaluate
from tests.conftest import APPLICANT_ID, login
from tests.declaring import act, declaration_id, fill, submit


def test_administrator_merges_a_unit_instead_of_deleting_it(app, live_server, page):
    sign_in(page, live_server, "admin")
    page.goto(live_server + "/admin/fa_organisation/")
    page.click("#org-tree-link")
    page.wait_for_selector("#org-tree")
    shot(page, "units-tree")
    with app.app_context():
        baili = db.session.scalar(select(Organisation.id).where(Organisation.name == "天津百利机械装备集团有限公司"))
        machine = db.session.scalar(select(Organisation.id).where(Organisation.name == "天津市第一机床厂有限公司"))
    # delete from the list: refused with the reason
    page.goto(live_server + "/admin/fa_organisation/?search=百利")
    page.on("dialog", lambda d: d.accept())
    page.locator("form[action*='delete'] button, form[action*='delete'] input[type=submit]").first.click()
    page.wait_for_selector("text=不能删除")
    shot(page, "units-delete-refused")
    page.goto(f"{live_server}/admin/fa_organisation/merge/{baili}")
    page.select_option("#target", str(machine))
    page.click("#merge-form button[type=submit]")
    page.wait_for_selector("text=原机构已停用")
    shot(page, "units-merged")
    with app.app_context():
        assert db.session.get(Organisation, baili).active is False


def test_next_year_starts_from_last_years_declaration(app, client, live_server, page):
    login(client, APPLICANT_ID)
    fill(client, app)
    assert submit(client).status_code == 302
    decl = declaration_id(app)
    for username, action in (("baili_hr", "approve"), ("gxj_zc", "approve"), ("gc_pwh", "receive")):
        login(client, username)
        assert act(client, decl, action, opinion="同意").status_code == 302
    evaluate(app, [decl])   # the experts pass it and its 公示 ended
    login(client, "zcb")
    assert act(client, decl, "approve", opinion="同意").status_code == 302
    with app.app_context():   # this year's window closes, the next opens (windows never overlap)
        this = db.session.scalar(select(DeclarationYear).where(DeclarationYear.year == clock.today().year))
        this.opens_on, this.closes_on = clock.today() - timedelta(days=60), clock.today() - timedelta(days=2)
        db.session.add(DeclarationYear(year=clock.today().year + 1, opens_on=clock.today() - timedelta(days=1),
                                       closes_on=clock.today() + timedelta(days=20)))
        db.session.commit()
    sign_in(page, live_server, APPLICANT_ID)
    page.wait_for_selector("#history-table")
    assert "已通过" in page.inner_text("#history-table")
    shot(page, "home-history")
    page.on("dialog", lambda d: d.accept())
    page.click("#copy-previous")
    page.wait_for_selector("text=已从")
    shot(page, "copied-from-last-year")
    page.goto(live_server + "/declaration/papers")
    assert "数控机床主轴热变形补偿方法研究" in page.inner_text("body")
    # a level no committee handles is said at once, next to the level
    page.goto(live_server + "/declaration/basic")
    page.select_option('#section-form select[name="level"]', "2")
    page.wait_for_selector("#group-level .no-committee")
    page.click(".navbar >> text=专业技术")
    page.wait_for_selector(".dropdown-menu >> text=职称管理")
    shot(page, "basic-no-committee-and-menu")


def test_a_new_year_overlapping_the_open_one_is_refused_and_the_draft_stays(app, client, live_server, page):
    """申报年度 windows never overlap: the title office is told beside the
    field which year is still open; the applicant's draft stays on the home."""
    login(client, APPLICANT_ID)
    fill(client, app)
    this_year, today = clock.today().year, clock.today()
    sign_in(page, live_server, "zcb")
    page.goto(live_server + "/years/add")
    page.fill("#year", str(this_year + 1))
    page.fill("#opens_on", (today - timedelta(days=1)).isoformat())
    page.fill("#closes_on", (today + timedelta(days=30)).isoformat())
    page.click("form:has(#opens_on) [type=submit]")
    page.wait_for_load_state()
    group = page.inner_text("#opens_on >> xpath=ancestor::tr[1]")
    assert f"与{this_year}年度的申报时间" in group and "重叠" in group
    assert page.input_value("#closes_on") == (today + timedelta(days=30)).isoformat()   # nothing typed is lost
    shot(page, "year-overlap-refused")
    sign_in(page, live_server, APPLICANT_ID)
    assert f"{this_year}年度申报" in page.inner_text("#my-status >> xpath=..")
    page.goto(live_server + "/declaration/basic")
    assert page.locator("#section-form").count() == 1
