"""Menus offer what opens, the same everywhere (the back office included)."""
import re

from sqlalchemy import select

from app.platform.extensions import db
from models import Organisation
from tests.conftest import APPLICANT_ID, login, page_text


def category(label: str, html: str) -> bool:
    """Whether the navbar has a dropdown `label` (the site's menu or the back office's copy)."""
    return bool(re.search(rf'dropdown-toggle"[^>]*>\s*(?:<i class="fa [^"]+"></i>&nbsp;\s*)?{label}\s*<', html))


def test_messages_are_not_under_the_applicants_menu(app, client):
    for username in ("baili_hr", "gxj_zc", "gc_pwh", "zcb"):
        login(client, username)
        html = page_text(client.get("/"))
        assert not category("专业技术", html), username          # the applicant's menu is not theirs
        assert 'href="/messages/' in html or "我的消息" in html, username
        assert client.get("/messages/").status_code == 200, username
    login(client, APPLICANT_ID)
    html = page_text(client.get("/"))
    assert category("专业技术", html) and "个人信息申报" in html and "我的消息" in html


def test_back_office_menu_is_the_site_menu(app, client):
    login(client, "admin")
    home = page_text(client.get("/"))
    back = page_text(client.get("/admin/fa_organisation/"))
    back = back[back.find("admin-navbar-collapse"):back.find("</nav>")]       # the back office's navbar
    home = home[home.find('class="nav navbar-nav"'):]
    home = home[:home.find("</nav>")]
    assert back.count('href="/admin/"') + back.count('href="/admin"') == 1  # one 后台首页, not two
    assert not category("专业技术", home) and not category("专业技术", back)
    assert "/help" in home and "/help" in back
    for label in ("用户列表", "工作单位"):
        assert (label in home) == (label in back), label


def test_back_office_shows_yes_no_and_minutes(app, client):
    login(client, "admin")
    with app.app_context():
        org_id = db.session.scalar(select(Organisation.id).where(Organisation.name == "天津市第一中学"))
    listing = page_text(client.get("/admin/fa_organisation/"))
    assert "True" not in listing and "fa-check-circle" not in listing
    assert re.search(r"<td[^>]*>\s*是\s*</td>", listing)
    details = page_text(client.get(f"/admin/fa_organisation/details/?id={org_id}"))
    assert "True" not in details
    assert not re.search(r"\d\d:\d\d:\d\d\.\d+", details)           # no microseconds
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", details)
