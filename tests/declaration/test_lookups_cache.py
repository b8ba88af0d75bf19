"""Dictionaries (with 申报年度 windows, committees' choices, site texts and
organisation names) are read once per worker and read again after any change;
个人基本信息 runs few statements and shows an administrator's change at once (#13)."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.declaration.data import DICTIONARY_VERSION_KEY, dictionaries, lookups
from app.platform.extensions import db
from app.platform.kvstore import kv
from models import DeclarationYear, DictItem, Organisation, SiteText, clock
from tests.conftest import APPLICANT_ID, csrf_token, login, page_text, statements
from tests.declaring import basic, post


@pytest.fixture(autouse=True)
def restore_names(app):
    """Dictionaries are not part of the wiped world: put the names back."""
    with app.app_context():
        names = {(i.kind, i.code): i.name for i in db.session.scalars(select(DictItem))}
    yield
    with app.app_context():
        for item in db.session.scalars(select(DictItem)):
            item.name = names[item.kind, item.code]
        db.session.commit()


def test_dictionaries_are_kept_between_requests(app):
    with app.test_request_context():
        first = dictionaries()
    with app.test_request_context():
        assert dictionaries() is first          # no second read while nothing changed
        assert lookups().dictionaries is first


def test_an_administrators_change_is_seen_by_the_next_request(app):
    with app.test_request_context():
        item = db.session.scalar(select(DictItem).where(DictItem.kind == "ethnicity", DictItem.code == "01"))
        before = lookups().name("ethnicity", "01")
        old = dictionaries()
        item.name = before + "（改）"
        db.session.commit()                      # what the back office's save does
    with app.test_request_context():
        assert lookups().name("ethnicity", "01") == before + "（改）"
        assert dictionaries() is not old


def test_a_change_made_by_another_worker_is_seen(app):
    """Another process bumps the shared version; this worker reads again."""
    with app.test_request_context():
        old = dictionaries()
        db.session.execute(DictItem.__table__.update().where(DictItem.kind == "gender", DictItem.code == "1")
                           .values(name="男性"))
        db.session.commit()                      # a Core update: no ORM event in this process
        assert dictionaries() is old             # …so this worker does not know yet
        kv().set(DICTIONARY_VERSION_KEY, "set-by-another-worker", 60)
        assert dictionaries() is old             # a request keeps the version it started with
    with app.test_request_context():             # the worker's next request reads again
        assert lookups().name("gender", "1") == "男性"


def test_a_rolled_back_change_publishes_nothing(app):
    with app.test_request_context():
        old = dictionaries()
        item = db.session.scalar(select(DictItem).where(DictItem.kind == "gender", DictItem.code == "2"))
        item.name = "不保存"
        db.session.flush()
        db.session.rollback()
        assert dictionaries() is old
        assert lookups().name("gender", "2") != "不保存"


def test_opening_a_year_is_seen_at_once(app):
    """申报年度 windows are kept with the dictionaries: a new window counts at once."""
    from datetime import timedelta

    from app.declaration.data import current_year
    from models import DeclarationYear

    with app.test_request_context():
        assert current_year() == clock.today().year
        this = db.session.scalar(select(DeclarationYear).where(DeclarationYear.year == clock.today().year))
        db.session.delete(this)
        db.session.flush()   # gone before the next is added: windows never overlap
        db.session.add(DeclarationYear(year=clock.today().year + 1, opens_on=clock.today() - timedelta(days=1),
                                       closes_on=clock.today() + timedelta(days=1)))
        db.session.commit()
    with app.test_request_context():
        assert current_year() == clock.today().year + 1


@pytest.fixture
def restore_pledge(app):
    """Site texts are not part of the wiped world either."""
    with app.app_context():
        text = db.session.get(SiteText, "pledge")
        saved = text.title, text.body
    yield
    with app.app_context():
        text = db.session.get(SiteText, "pledge")
        text.title, text.body = saved
        db.session.commit()


def test_basic_page_runs_at_most_six_statements(app, client):
    login(client, APPLICANT_ID)
    assert post(client, "/declaration/basic", basic(app)).status_code == 302
    client.get("/declaration/basic")                 # as a warm worker: the dictionaries are read
    with statements(app) as seen:
        html = page_text(client.get("/declaration/basic"))
    assert len(seen) <= 6, "\n\n".join(seen)
    # the unit's name, the year's window, the committees' choices and the 诚信承诺书, without reading them
    assert "天津百利机械装备集团有限公司" in html and 'id="year-window"' in html
    assert "05|12" in html and 'id="pledge-panel"' in html


def admin_save(client, path, data):
    response = client.post(path, data={**data, "csrf_token": csrf_token(client, path)})
    assert response.status_code == 302, page_text(response)


def test_administrators_changes_are_on_the_basic_page_at_once(app, client, restore_pledge):
    """Each change, saved on its page by whom may make it, is on the applicant's next page."""
    login(client, APPLICANT_ID)
    assert post(client, "/declaration/basic", basic(app, ethnicity="01")).status_code == 302
    client.get("/declaration/basic")                 # this worker keeps what the page read
    with app.app_context():
        year = db.session.scalar(select(DeclarationYear).where(DeclarationYear.year == clock.today().year))
        unit = db.session.scalar(select(Organisation).where(Organisation.name == "天津百利机械装备集团有限公司"))
        item = db.session.scalar(select(DictItem).where(DictItem.kind == "ethnicity", DictItem.code == "01"))
        year_form = {"year": str(year.year), "opens_on": f"{year.opens_on:%Y-%m-%d}", "note": year.note or ""}
        unit_form = {"parent": str(unit.parent_id), "credit_code": unit.credit_code or "",
                     "contact_person": unit.contact_person or "", "contact_phone": unit.contact_phone or "",
                     "active": "y"}
        item_form = {"kind": item.kind, "code": item.code, "parent_code": item.parent_code or "",
                     "note": item.note or "", "sort_order": str(item.sort_order), "active": "y"}
        committee = db.session.scalar(select(Organisation).where(Organisation.name == "天津市工程技术高级评委会"))
        committee_form = {"name": committee.name, "kind": "committee", "parent": str(committee.parent_id),
                          "series": [str(x.id) for x in committee.series],
                          "levels": [str(x.id) for x in committee.levels]}   # 启用 unticked
        year_id, unit_id, item_id, item_name = year.id, unit.id, item.id, item.name
        committee_id = committee.id
    office = app.test_client()

    def basic_page():
        return page_text(client.get("/declaration/basic"))

    def beside_the_level():
        html = basic_page()
        return html[html.index('id="group-level"'):html.index('id="group-title"')]

    closes = f"{clock.today() + timedelta(days=3):%Y-%m-%d}"
    login(office, "zcb")                             # 申报年度设置
    admin_save(office, f"/years/edit/{year_id}", {**year_form, "closes_on": closes})
    assert f"至{closes}" in basic_page()
    login(office, "gxj_zc")                          # the department renames its unit
    admin_save(office, f"/units/edit/{unit_id}", {**unit_form, "name": "天津百利机械装备集团股份有限公司"})
    assert "天津百利机械装备集团股份有限公司" in basic_page()
    login(office, "admin")                           # 协议与文本, 代码字典
    admin_save(office, "/admin/fa_site_text/edit/?id=pledge", {"title": "诚信承诺书", "body": "本人承诺：新的承诺书文本。"})
    assert "本人承诺：新的承诺书文本。" in basic_page()
    admin_save(office, f"/admin/fa_dict_item/edit/?id={item_id}", {**item_form, "name": item_name + "（新）"})
    assert item_name + "（新）" in basic_page()
    no_committee = "暂无评委会评审所选的专业技术系列和级别"   # the hint beside 申报专业技术级别
    assert no_committee not in beside_the_level()
    admin_save(office, f"/admin/fa_organisation/edit/?id={committee_id}", committee_form)   # 启用 off
    assert no_committee in beside_the_level()


def test_dropdowns_escape_names_and_mark_the_saved_choice(app, client):
    """The <option> tags are built once per worker: names are escaped there,
    and each page marks its own person's choice."""
    login(client, APPLICANT_ID)
    assert post(client, "/declaration/basic", basic(app, ethnicity="02")).status_code == 302
    with app.app_context():
        item = db.session.scalar(select(DictItem).where(DictItem.kind == "ethnicity", DictItem.code == "01"))
        item.name = '汉<b>族</b>"&'
        db.session.commit()
    html = client.get("/declaration/basic").get_data(as_text=True)
    select_html = html[html.index('name="ethnicity"'):html.index("</select>", html.index('name="ethnicity"'))]
    assert '<option value="01">汉&lt;b&gt;族&lt;/b&gt;&#34;&amp;</option>' in select_html
    assert '<b>族</b>' not in html
    assert select_html.count(" selected") == 1 and 'value="02" selected' in select_html
    assert post(client, "/declaration/basic", basic(app, ethnicity="01")).status_code == 302
    again = client.get("/declaration/basic").get_data(as_text=True)
    assert 'value="01" selected' in again and 'value="02" selected' not in again
