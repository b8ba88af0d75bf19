"""Who may open what (PRODUCT §1, M1, M3): wrong roles are refused by
forged requests, not only by hidden buttons."""
import pytest
from sqlalchemy import select

from app.platform.extensions import db
from models import Account, Organisation
from tests.conftest import APPLICANT_ID, csrf_token, login, page_text

ADMIN_ONLY = ["/users/list/", "/roles/list/", "/admin/", "/admin/fa_organisation/", "/admin/fa_dict_item/",
              "/admin/fa_site_text/"]
UNIT_MAINTENANCE = ["/units/list/", "/units/add"]


def org_id(app, name):
    with app.app_context():
        return db.session.scalar(select(Organisation.id).where(Organisation.name == name))


@pytest.mark.parametrize("path", ["/", "/account/password", "/organisations/search?q=百利", *UNIT_MAINTENANCE,
                                  *ADMIN_ONLY])
def test_anonymous_is_sent_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/login/" in response.headers["Location"]


@pytest.mark.parametrize("username", [APPLICANT_ID, "baili_hr", "gc_pwh"])
@pytest.mark.parametrize("path", UNIT_MAINTENANCE + ADMIN_ONLY)
def test_roles_without_the_screen_get_403(client, username, path):
    login(client, username)
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("username", ["gxj_zc", "zcb"])
@pytest.mark.parametrize("path", ADMIN_ONLY)
def test_reviewers_are_not_administrators(client, username, path):
    login(client, username)
    assert client.get(path).status_code == 403


def test_admin_reaches_admin_screens(client):
    login(client, "admin")
    for path in ADMIN_ONLY:
        assert client.get(path).status_code == 200, path


def test_forged_unit_post_by_applicant_creates_nothing(app, client):
    login(client, APPLICANT_ID)
    token = csrf_token(client, "/account/password")
    response = client.post("/units/add", data={"name": "伪造单位", "parent": org_id(app, "天津市工业和信息化局"),
                                               "csrf_token": token})
    assert response.status_code == 403
    assert org_id(app, "伪造单位") is None


def test_department_sees_and_edits_only_its_units(app, client):
    login(client, "gxj_zc")
    html = page_text(client.get("/units/list/"))
    assert "天津百利机械装备集团有限公司" in html and "天津市第一机床厂有限公司" in html
    assert "天津市第一中心医院" not in html and "天津市职业技能公共实训中心" not in html
    hospital = org_id(app, "天津市第一中心医院")
    assert client.get(f"/units/show/{hospital}").status_code == 404
    assert client.get(f"/units/edit/{hospital}").status_code == 404
    token = csrf_token(client, "/units/add")
    response = client.post(f"/units/edit/{hospital}", data={"name": "改名", "csrf_token": token})
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(Organisation, hospital).name == "天津市第一中心医院"


def test_department_creates_a_unit_under_itself(app, client):
    login(client, "gxj_zc")
    token = csrf_token(client, "/units/add")
    dept = org_id(app, "天津市工业和信息化局")
    response = client.post("/units/add", data={"name": "天津市新材料研究所有限公司", "parent": dept,
                                               "credit_code": "91330100799655058B", "csrf_token": token})
    assert response.status_code == 302
    with app.app_context():
        unit = db.session.scalar(select(Organisation).where(Organisation.name == "天津市新材料研究所有限公司"))
        assert unit.kind == "unit" and unit.parent_id == dept


def test_department_cannot_place_a_unit_under_another(app, client):
    login(client, "gxj_zc")
    token = csrf_token(client, "/units/add")
    health = org_id(app, "天津市卫生健康委员会")
    response = client.post("/units/add", data={"name": "越权单位", "parent": health, "csrf_token": token})
    # Another department is simply not among the choices: nothing is created.
    assert response.status_code == 200 and "请选择主管部门" in page_text(response)
    assert org_id(app, "越权单位") is None


def test_unit_form_messages_keep_input(app, client):
    login(client, "gxj_zc")
    token = csrf_token(client, "/units/add")
    dept = org_id(app, "天津市工业和信息化局")
    response = client.post("/units/add", data={"name": "天津百利机械装备集团有限公司", "parent": dept,
                                               "credit_code": "123", "contact_person": "孙丽", "csrf_token": token})
    html = page_text(response)
    assert "已存在" in html and "统一社会信用代码应为18位" in html and "孙丽" in html


def test_office_sees_every_unit(client):
    login(client, "zcb")
    html = page_text(client.get("/units/list/"))
    for name in ["天津百利机械装备集团有限公司", "天津市第一中心医院", "天津市职业技能公共实训中心"]:
        assert name in html


def test_admin_user_form_binds_reviewers_to_matching_organisation(app, client):
    login(client, "admin")
    with app.app_context():
        role_id = app.appbuilder.sm.find_role("单位审核").id
    token = csrf_token(client, "/users/add")
    data = {"first_name": "周洁", "username": "zhoujie", "email": "zhoujie@example.com", "phone": "13700000009",
            "roles": role_id, "active": "y", "password": "abc12345", "conf_password": "abc12345",
            "csrf_token": token, "org": org_id(app, "天津市工业和信息化局")}
    response = client.post("/users/add", data=data)
    assert "所选角色应属于工作单位" in page_text(response)
    data.pop("org")
    assert "审核账号必须选择所属工作单位" in page_text(client.post("/users/add", data=data))
    data["org"] = org_id(app, "天津百利机械装备集团有限公司")
    assert client.post("/users/add", data=data).status_code == 302
    with app.app_context():
        user = db.session.scalar(select(Account).where(Account.username == "zhoujie"))
        assert user.org.name == "天津百利机械装备集团有限公司" and user.last_name == ""


def test_role_table_is_the_single_source(app):
    from permissions.roles import BUILTIN_ROLES, ROLE_PERMISSIONS
    assert app.config["FAB_ROLES"] is BUILTIN_ROLES
    assert set(ROLE_PERMISSIONS) == {"申报人", "单位审核", "主管部门", "评委会", "职称办", "未登录访客",
                                     "审计管理员", "评审专家"}


def _menu(html: str) -> str:
    return html.split('<ul class="nav navbar-nav">', 1)[1].split('<ul class="nav navbar-nav navbar-right">', 1)[0]


def test_each_set_of_roles_gets_its_own_menu(app):
    """The menu is rendered once per worker and set of roles: whoever asks
    first decides nothing about what the next person sees."""
    menus = {}
    for username in (APPLICANT_ID, "zcb", "baili_hr", APPLICANT_ID, "zcb", "admin"):
        client = app.test_client()
        login(client, username)
        menu = _menu(client.get("/").get_data(as_text=True))
        assert menus.setdefault(username, menu) == menu
    assert "个人信息申报" in menus[APPLICANT_ID] and "申报审核" not in menus[APPLICANT_ID]
    assert "申报审核" in menus["zcb"] and "申报年度设置" in menus["zcb"] and "个人信息申报" not in menus["zcb"]
    assert "申报审核" in menus["baili_hr"] and "申报年度设置" not in menus["baili_hr"]
    assert "用户列表" in menus["admin"] and "用户列表" not in menus["zcb"]


def test_administrators_do_not_get_the_applicant_menu(client):
    login(client, "admin")
    html = page_text(client.get("/"))
    assert "个人信息申报" not in html and "用户列表" in html
    assert client.get("/declaration/basic").status_code == 403


def test_adding_a_user_from_the_list_returns_to_the_list(app, client):
    login(client, "admin")
    with app.app_context():
        role_id = app.appbuilder.sm.find_role("单位审核").id
    client.get("/users/list/")
    token = csrf_token(client, "/users/add")
    client.get("/")                       # another tab: the home page
    client.get("/units/list/")            # and another list
    data = {"first_name": "周洁", "username": "zhoujie", "email": "zhoujie@example.com", "phone": "13700000009",
            "roles": role_id, "active": "y", "password": "abc12345", "conf_password": "abc12345",
            "csrf_token": token, "org": org_id(app, "天津百利机械装备集团有限公司")}
    response = client.post("/users/add", data=data)
    assert response.status_code == 302 and response.headers["Location"].endswith("/users/list/")
    # opened straight from the home page, too
    client.get("/")
    token = csrf_token(client, "/users/add")
    data |= {"username": "zhoujie2", "email": "zhoujie2@example.com", "phone": "13700000008", "csrf_token": token}
    response = client.post("/users/add", data=data)
    assert response.status_code == 302 and response.headers["Location"].endswith("/users/list/")
