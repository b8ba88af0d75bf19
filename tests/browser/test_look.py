"""How pages look and read (#9 items 15, 19, 20): Chinese in every widget,
the applicant's pages on a 375 px phone, one back office."""
import re

from tests.browser.conftest import shot, sign_in
from tests.conftest import APPLICANT_ID

ENGLISH = re.compile(r"[A-Za-z]{3,}")


def test_widgets_speak_chinese(app, live_server, page):
    sign_in(page, live_server, "zcb")
    page.goto(live_server + "/years/add")
    page.click("#opens_on")
    picker = page.inner_text(".datepicker")
    shot(page, "widgets-year-datepicker")
    assert "一" in picker and "日" in picker and "年" in picker and not ENGLISH.findall(picker), picker

    sign_in(page, live_server, "admin")
    page.goto(live_server + "/users/add")
    page.click("#roles + .select2 .select2-selection")
    page.click(".select2-results__option >> text=评委会")
    shot(page, "widgets-select2")
    assert "Remove all items" not in page.content() and "Select a State" not in page.content()
    assert page.get_attribute(".select2-selection__clear", "title") == "删除全部"
    for path in ("/permissions/list/", "/viewmenus/list/", "/permissionviews/list/"):
        page.goto(live_server + path)
        text = page.inner_text("body")
        assert not ENGLISH.findall(text), (path, ENGLISH.findall(text))
        assert "查看列表" in text or "首页" in text or "附件" in text, path
    shot(page, "widgets-permission-lists")

    sign_in(page, live_server, APPLICANT_ID)
    page.goto(live_server + "/declaration/basic")
    page.click("#ethnicity + .select2 .select2-selection")
    assert page.evaluate("document.activeElement.classList.contains('select2-search__field')")
    page.keyboard.type("回")
    page.keyboard.press("Enter")
    assert "回族" in page.inner_text("#ethnicity + .select2")
    page.click("#work_start_date")
    calendar = page.inner_text(".datepicker")
    shot(page, "widgets-declaration-date")
    assert "六" in calendar and not ENGLISH.findall(calendar), calendar
    page.click(".datepicker td.day:not(.old):not(.new) >> text=15")
    assert re.fullmatch(r"\d{4}-\d{2}-15", page.input_value("#work_start_date"))
    page.fill("#work_start_date", "2012-07")          # a month typed by hand stays as typed
    page.click("#profession")
    assert page.input_value("#work_start_date") == "2012-07"


def fits_the_phone(page):
    return page.evaluate("document.documentElement.scrollWidth") <= 375


def test_applicant_pages_on_a_phone(app, live_server, page):
    from tests.declaring import ROWS, fill, post
    from tests.conftest import login
    client = app.test_client()
    login(client, APPLICANT_ID)
    fill(client, app)
    for i in range(3):
        post(client, "/declaration/papers/new", dict(ROWS["papers"][0], title=f"第{i}篇：高速数控机床主轴热误差建模研究"))
    page.set_viewport_size({"width": 375, "height": 800})
    sign_in(page, live_server, APPLICANT_ID)
    for key in ("basic", "papers", "check", "flow"):
        page.goto(live_server + (f"/declaration/{key}" if key not in ("check", "flow") else f"/declaration/{key}"))
        shot(page, f"phone-375-{key}")
        assert fits_the_phone(page), key
        assert not page.is_visible("#side-menu"), key                 # folded behind 功能菜单
        if key in ("basic", "papers"):
            tabs = page.query_selector(".decl-tabs").bounding_box()
            assert tabs["height"] < 60, (key, tabs)                    # one line that scrolls
            active = page.query_selector(".decl-tabs > li.active").bounding_box()
            assert 0 <= active["x"] and active["x"] + active["width"] <= 375, key
    page.click(".side-menu-toggle")
    page.wait_for_selector("#side-menu", state="visible")
    shot(page, "phone-375-menu-open")
    page.click("#side-menu >> text=完整性检查")
    assert "/declaration/check" in page.url
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server + "/declaration/basic")
    assert page.is_visible("#side-menu") and not page.is_visible(".side-menu-toggle")


def test_reviewer_list_on_a_phone(app, live_server, page):
    page.set_viewport_size({"width": 375, "height": 800})
    sign_in(page, live_server, "zcb")
    page.goto(live_server + "/review/?tab=all")
    shot(page, "phone-375-review-list")
    assert fits_the_phone(page)


def test_back_office_is_one_product(app, live_server, page):
    sign_in(page, live_server, "admin")
    looks = {}
    for path in ("/users/list/", "/admin/fa_dict_item/", "/admin/"):
        page.goto(live_server + path)
        nav = page.query_selector(".navbar")
        looks[path] = (nav.evaluate("e => getComputedStyle(e).backgroundColor"),
                       [m for m in ("职称申报评审系统", "用户与权限", "申报审核", "单位管理", "后台管理") if m in nav.inner_text()])
        shot(page, "back-office" + path.replace("/", "_"))
    assert len(set(map(str, looks.values()))) == 1, looks
    # the administrator's menu: accounts, units and settings, no applicants' data
    assert looks["/admin/"][1] == ["职称申报评审系统", "用户与权限", "单位管理", "后台管理"]
    page.goto(live_server + "/")
    page.click("text=后台管理")
    page.click(".dropdown-menu >> text=代码字典")
    assert "/admin/fa_dict_item/" in page.url

    sign_in(page, live_server, "zcb")
    menu = page.inner_text(".navbar")
    assert "后台管理" not in menu and "用户与权限" not in menu and "系统内部" not in menu
    from tests.conftest import login
    client = app.test_client()
    login(client, "zcb")
    for path in ("/permissions/list/", "/viewmenus/list/", "/permissionviews/list/", "/admin/"):
        assert client.get(path).status_code in (302, 403), path


def test_reviewer_page_and_print_previews_on_a_phone(app, live_server, page):
    from tests.conftest import login
    from tests.declaring import act, declaration_id, fill, submit
    client = app.test_client()
    login(client, APPLICANT_ID)
    fill(client, app)
    assert submit(client).status_code == 302
    decl = declaration_id(app)
    login(client, "baili_hr")
    assert act(client, decl, "return", opinion="请补充论文第二页的扫描件，并核对发表时间").status_code == 302
    page.set_viewport_size({"width": 375, "height": 800})
    sign_in(page, live_server, "baili_hr")
    page.goto(f"{live_server}/review/{decl}")
    shot(page, "phone-375-review")
    assert fits_the_phone(page), "review"
    for printout in ("summary", "review"):
        page.goto(f"{live_server}/print/{decl}/{printout}")
        shot(page, f"phone-375-print-{printout}")
        assert fits_the_phone(page), printout
    page.set_viewport_size({"width": 1280, "height": 900})
