"""The organisation tree and the fuzzy unit search (M1)."""
from sqlalchemy import select

from app.platform.extensions import db
from models import Organisation
from tests.conftest import APPLICANT_ID, login


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
