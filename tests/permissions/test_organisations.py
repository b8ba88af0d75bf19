"""The organisation tree and the fuzzy unit search (M1)."""
import re

import pytest
from sqlalchemy import select

from app.platform.extensions import db
from models import Organisation
from tests.conftest import APPLICANT_ID, generic_plan, login


def test_fragment_finds_the_unit(client):
    login(client, APPLICANT_ID)
    response = client.get("/organisations/search?q=百利")
    assert response.status_code == 200
    assert [r["name"] for r in response.json["results"]] == ["天津百利机械装备集团有限公司"]


def test_search_matches_any_fragment_and_escapes_wildcards(client):
    login(client, APPLICANT_ID)
    names = [r["name"] for r in client.get("/organisations/search?q=第一").json["results"]]
    assert set(names) == {"天津市第一机床厂有限公司", "天津市第一中心医院", "天津市第一中学"}
    assert client.get("/organisations/search?q=%25").json["results"] == []
    assert client.get("/organisations/search?q=_").json["results"] == []
    assert client.get("/organisations/search?q=").json["results"] == []


def test_search_lists_only_active_units(app, client):
    with app.app_context():
        unit = db.session.scalar(select(Organisation).where(Organisation.name == "天津市第一中学"))
        unit.active = False
        db.session.commit()
    login(client, APPLICANT_ID)
    names = [r["name"] for r in client.get("/organisations/search?q=天津").json["results"]]
    assert "天津市第一中学" not in names
    assert "天津市工业和信息化局" not in names          # departments are not units
    assert "天津市工程技术高级评委会" not in names


def test_demo_tree(app):
    with app.app_context():
        baili = db.session.scalar(select(Organisation).where(Organisation.name == "天津百利机械装备集团有限公司"))
        assert baili.kind == "unit" and baili.department.name == "天津市工业和信息化局"
        assert baili.department.parent.kind == "bureau"
        direct = db.session.scalar(select(Organisation).where(Organisation.name == "天津市职业技能公共实训中心"))
        assert direct.department is None and direct.parent.kind == "bureau"
        committee = db.session.scalar(select(Organisation).where(Organisation.kind == "committee",
                                                                 Organisation.name.like("%工程%")))
        assert [s.name for s in committee.series] == ["工程技术人员"]
        assert {lv.name for lv in committee.levels} == {"正高级", "副高级"}


def test_admin_creates_committee_with_rules(app, client):
    login(client, "admin")
    from tests.conftest import csrf_token
    token = csrf_token(client, "/admin/fa_organisation/new/")
    with app.app_context():
        unit = db.session.scalar(select(Organisation.id).where(Organisation.name == "天津市第一中学"))
    response = client.post("/admin/fa_organisation/new/", data={
        "name": "错误的评委会", "kind": "committee", "parent": str(unit), "csrf_token": token, "active": "y"})
    assert response.status_code == 200 and "评委会的上级只能是" in response.get_data(as_text=True)
    assert "错误的评委会" in response.get_data(as_text=True)  # input kept
    with app.app_context():
        assert db.session.scalar(select(Organisation).where(Organisation.name == "错误的评委会")) is None


# -- units in use are never deleted; they are disabled or merged (#9 item 4) ----

def org(name):
    return db.session.scalar(select(Organisation).where(Organisation.name == name))


def admin_delete(client, org_id):
    from tests.conftest import csrf_token
    token = csrf_token(client, "/admin/fa_organisation/")
    return client.post("/admin/fa_organisation/delete/", data={"id": str(org_id), "csrf_token": token,
                                                               "url": "/admin/fa_organisation/"},
                       follow_redirects=True)


def test_deleting_a_unit_in_use_is_refused_everywhere(app, client):
    from app.data.organisations import OrganisationInUse
    from tests.conftest import page_text
    from tests.declaring import basic, post

    login(client, APPLICANT_ID)
    post(client, "/declaration/basic", basic(app))        # a draft that chose 百利
    login(client, "admin")
    with app.app_context():
        baili = org("天津百利机械装备集团有限公司").id
        school = org("天津市第一中学").id
    html = page_text(admin_delete(client, baili))
    assert "不能删除" in html and "申报1份" in html and "账号1个" in html and "合并" in html
    assert "IntegrityError" not in html and "DELETE FROM" not in html
    with app.app_context():
        assert org("天津百利机械装备集团有限公司") is not None
        # below the screens too: any code deleting it is refused
        with pytest.raises(OrganisationInUse):
            db.session.delete(db.session.get(Organisation, baili))
            db.session.flush()
        db.session.rollback()
        department = org("天津市工业和信息化局")
        with pytest.raises(OrganisationInUse, match="下级机构"):
            db.session.delete(department)
            db.session.flush()
        db.session.rollback()
        assert school
    with app.app_context():
        from models import Account, Expert
        for account in db.session.scalars(select(Account).where(Account.org_id == school)):
            account.org_id = None
        db.session.commit()
    assert "评审专家" in page_text(admin_delete(client, school))   # an expert of the 专家库 still works there
    with app.app_context():
        for expert in db.session.scalars(select(Expert).where(Expert.unit_id == school)):
            expert.unit_id = None
        db.session.commit()
    admin_delete(client, school)                               # unused: deleted
    with app.app_context():
        assert org("天津市第一中学") is None


def test_merge_moves_declarations_accounts_and_children_in_one_step(app, client):
    from models import Account, AuditEvent, Declaration
    from tests.conftest import csrf_token, logout, page_text
    from tests.declaring import declaration_id, fill, submit

    login(client, APPLICANT_ID)
    fill(client, app)
    assert submit(client).status_code == 302
    decl = declaration_id(app)
    login(client, "admin")
    with app.app_context():
        baili, hospital = org("天津百利机械装备集团有限公司"), org("天津市第一中心医院")
        baili_id, hospital_id, health_dept = baili.id, hospital.id, hospital.parent_id
        industry, health = org("天津市工业和信息化局").id, org("天津市卫生健康委员会").id
    path = f"/admin/fa_organisation/merge/{baili_id}"
    html = page_text(client.get(path))
    assert "天津市第一中心医院" in html and "天津市工业和信息化局" not in html   # same kind only
    response = client.post(path, data={"csrf_token": csrf_token(client, path), "target": str(industry)})
    assert "只能合并到同类机构" in page_text(response)
    response = client.post(path, data={"csrf_token": csrf_token(client, path), "target": ""})
    assert "请选择合并到的机构" in page_text(response)
    response = client.post(path, data={"csrf_token": csrf_token(client, path), "target": str(hospital_id)})
    assert response.status_code == 302
    with app.app_context():
        d = db.session.get(Declaration, decl)
        assert (d.unit_id, d.department_id) == (hospital_id, health_dept)
        assert db.session.scalar(select(Account.org_id).where(Account.username == "baili_hr")) == hospital_id
        assert db.session.get(Organisation, baili_id).active is False
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "organisation.merge"))
        assert event.target == f"organisation:{baili_id}" and event.actor == "admin"
    # the moved reviewer still reaches the declaration
    logout(client)
    login(client, "baili_hr")
    assert client.get(f"/review/{decl}").status_code == 200
    # departments merge with their units
    login(client, "admin")
    path = f"/admin/fa_organisation/merge/{industry}"
    assert client.post(path, data={"csrf_token": csrf_token(client, path), "target": str(health)}).status_code == 302
    with app.app_context():
        assert org("天津市第一机床厂有限公司").parent_id == health
        assert db.session.get(Declaration, decl).department_id == health


def test_merge_is_one_transaction(app, monkeypatch):
    """A failure half-way leaves nothing moved and no audit row."""
    import app.data.organisations as organisations
    from models import Account, AuditEvent

    with app.app_context():
        baili, hospital = org("天津百利机械装备集团有限公司"), org("天津市第一中心医院")

        def broken(*args, **kwargs):
            raise RuntimeError("disk full")
        monkeypatch.setattr(organisations, "record", broken)
        with pytest.raises(RuntimeError):
            organisations.merge(baili, hospital)
        db.session.rollback()
        assert db.session.scalar(select(Account.org_id).where(Account.username == "baili_hr")) == baili.id
        assert org("天津百利机械装备集团有限公司").active
        assert db.session.scalar(select(AuditEvent.id)) is None


def test_organisations_as_a_tree(app, client):
    from tests.conftest import page_text
    login(client, "admin")
    html = page_text(client.get("/admin/fa_organisation/tree/"))
    at = {name: html.index(name) for name in ("天津市人力资源和社会保障局职称办", "天津市工业和信息化局",
                                              "天津百利机械装备集团有限公司", "天津市卫生健康委员会", "天津市第一中心医院")}
    assert at["天津市人力资源和社会保障局职称办"] < at["天津市工业和信息化局"] < at["天津百利机械装备集团有限公司"]
    assert at["天津市人力资源和社会保障局职称办"] < at["天津市卫生健康委员会"] < at["天津市第一中心医院"]
    # each unit sits under its own department, not under the next one
    assert not at["天津市工业和信息化局"] < at["天津市卫生健康委员会"] < at["天津百利机械装备集团有限公司"]
    assert not at["天津市卫生健康委员会"] < at["天津市工业和信息化局"] < at["天津市第一中心医院"]
    assert "机构树" in page_text(client.get("/admin/fa_organisation/"))
    login(client, "zcb")
    assert client.get("/admin/fa_organisation/tree/").status_code in (302, 403)


# -- optional unique values are NULL when empty; no database text on a page (#9 item 16)

def test_units_without_credit_code_and_friendly_duplicates(app, client):
    from tests.conftest import csrf_token, page_text
    login(client, "gxj_zc")
    with app.app_context():
        dept = org("天津市工业和信息化局").id
    for name in ("无代码单位甲", "无代码单位乙"):
        token = csrf_token(client, "/units/add")
        response = client.post("/units/add", data={"name": name, "parent": dept, "credit_code": "",
                                                   "csrf_token": token})
        assert response.status_code == 302, page_text(response)
    login(client, "admin")
    for name in ("无代码单位丙", "无代码单位丁"):
        token = csrf_token(client, "/admin/fa_organisation/new/")
        response = client.post("/admin/fa_organisation/new/", data={
            "name": name, "kind": "unit", "parent": str(dept), "credit_code": "", "csrf_token": token,
            "active": "y"}, follow_redirects=True)
        assert "Failed" not in page_text(response)
    with app.app_context():
        codes = db.session.scalars(select(Organisation.credit_code).where(Organisation.name.like("无代码单位%"))).all()
        assert codes == [None] * 4
    # a duplicate in the back office: a Chinese message, never the SQL
    token = csrf_token(client, "/admin/fa_dict_item/new/")
    data = {"kind": "ethnicity", "code": "01", "name": "重复民族", "sort_order": "1", "active": "y",
            "csrf_token": token}
    html = page_text(client.post("/admin/fa_dict_item/new/", data=data, follow_redirects=True))
    assert "与已有记录重复" in html
    for raw in ("IntegrityError", "INSERT", "UNIQUE", "duplicate key", "sqlite3", "psycopg"):
        assert raw not in html


def test_fab_screens_never_show_database_text(app):
    from views.base import DUPLICATE_MESSAGE, SafeInterface, UserFacingError

    with app.app_context():
        interface = SafeInterface(Organisation)
        copy = Organisation(name="天津百利机械装备集团有限公司", kind="unit")
        with pytest.raises(UserFacingError) as raised:
            interface.add(copy)
        assert str(raised.value) == DUPLICATE_MESSAGE
        with pytest.raises(UserFacingError, match="不能删除"):
            interface.delete(org("天津市工业和信息化局"))


def test_units_tree_for_the_people_who_maintain_them(app, client):
    from tests.conftest import page_text
    login(client, "gxj_zc")                                   # a department: its own units under itself
    html = page_text(client.get("/units/tree/"))
    assert "单位树" in page_text(client.get("/"))
    assert html.index("天津市工业和信息化局") < html.index("天津百利机械装备集团有限公司")
    assert "天津市第一中心医院" not in html                   # another department's unit
    login(client, "zcb")                                      # the title office: the whole tree
    html = page_text(client.get("/units/tree/"))
    assert html.index("天津市人力资源和社会保障局职称办") < html.index("天津市卫生健康委员会") < html.index("天津市第一中心医院")
    login(client, APPLICANT_ID)
    assert client.get("/units/tree/").status_code in (302, 403)


def _add_units(app, names, active=True):
    with app.app_context():
        parent = db.session.scalar(select(Organisation.id).where(Organisation.kind == "bureau"))
        db.session.add_all(Organisation(name=n, kind="unit", parent_id=parent, active=active) for n in names)
        db.session.commit()


def test_search_shows_the_shortest_names_first_one_page_of_them(app, client):
    """Closest first: the shortest names, ties in name order; one page of 20
    whatever the number of matches, inactive units left out."""
    names = [f"测试页{'甲' * (i % 7)}单位{i:02d}" for i in range(30)]
    _add_units(app, names)
    _add_units(app, ["测试页单"], active=False)
    login(client, APPLICANT_ID)
    shown = [r["name"] for r in client.get("/organisations/search?q=测试页").json["results"]]
    assert shown == sorted(names, key=lambda n: (len(n), n))[:20]
    with app.app_context():
        from views.organisations import search_units
        assert [r.name for r in search_units("单位2", limit=3)] == ["测试页单位21", "测试页单位28", "测试页甲单位22"]


def test_search_page_is_read_in_order_from_the_unit_names_index(app):
    """The search's page comes from ix_organisation_unit_names in its order (no
    sort of every match: #13), also as a prepared statement planned once for
    any fragment (psycopg prepares a statement after five runs). PostgreSQL only."""
    from views.organisations import _UNITS_MATCHING

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("partial indexes and EXPLAIN on PostgreSQL")
        plan = generic_plan(_UNITS_MATCHING.params(pattern="%天津%", limit=20),
                            off=("enable_sort", "enable_seqscan", "enable_bitmapscan"))
    assert "Index Only Scan using ix_organisation_unit_names" in plan and " Sort " not in plan, plan


def test_admin_unit_form_reports_every_wrong_field_at_once(app, client):
    login(client, "admin")
    from tests.conftest import csrf_token
    token = csrf_token(client, "/admin/fa_organisation/new/")
    with app.app_context():
        unit = db.session.scalar(select(Organisation.id).where(Organisation.name == "天津市第一中学"))
        before = db.session.query(Organisation).count()
    response = client.post("/admin/fa_organisation/new/", data={
        "name": "", "kind": "committee", "parent": str(unit), "credit_code": "12345",
        "csrf_token": token, "active": "y"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    feedback = re.findall(r'id="(\w+)"[^>]*>\s*<div class="invalid-feedback">\s*<ul[^>]*>\s*<li>([^<]+)</li>', html)
    fields = dict(feedback)
    assert set(fields) == {"name", "parent", "credit_code"}, feedback       # each beside its own field
    assert fields["parent"].startswith("评委会的上级只能是")
    assert fields["credit_code"].startswith("统一社会信用代码应为18位")
    assert 'value="12345"' in html                                           # what was typed is kept
    with app.app_context():
        assert db.session.query(Organisation).count() == before
