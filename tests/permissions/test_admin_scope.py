"""Least privilege for the system administrator: accounts, units and
settings, never applicants' data. A declaration, its ID-card scan, its
printouts, the list export and the API are for its reviewers, the title
office and (its own data) the applicant."""
import pytest
from sqlalchemy import select

from app.platform.extensions import db
from models import Attachment
from tests.conftest import APPLICANT_ID, login, page_text
from tests.declaring import declaration_id, fill, submit
from tests.insight.test_api import token


@pytest.fixture
def submitted(app, client):
    login(client, APPLICANT_ID)
    fill(client, app)
    assert submit(client).status_code == 302
    decl = declaration_id(app)
    with app.app_context():
        scan = db.session.scalar(select(Attachment.id).where(Attachment.declaration_id == decl,
                                                             Attachment.kind == "id_card"))
    assert scan is not None
    return decl, scan


def _paths(decl, scan):
    return [f"/review/{decl}", f"/attachments/{scan}", f"/attachments/{scan}?download=1",
            f"/print/{decl}/summary", f"/print/{decl}/review", f"/print/{decl}/review.pdf",
            f"/print/{decl}/review.xlsx", "/review/", "/review/?tab=all", "/review/export?tab=all",
            "/statistics/", "/meetings/", "/publicity-admin/", "/expert/", "/api/docs/"]


def test_the_administrator_opens_no_declaration(app, client, submitted):
    decl, scan = submitted
    login(client, "admin")
    for path in _paths(decl, scan):
        assert client.get(path).status_code in (403, 404), path
    auth = token(client, "admin")
    listed = client.get("/api/v1/declarations/", headers=auth)
    assert listed.status_code == 403 or listed.json["count"] == 0
    assert client.get(f"/api/v1/declarations/{decl}", headers=auth).status_code in (403, 404)
    assert client.get(f"/api/v1/declarations/{decl}/history", headers=auth).status_code in (403, 404)
    forged = client.post(f"/api/v1/declarations/{decl}/steps", headers=auth, json={"action": "approve",
                                                                                   "version": 1})
    assert forged.status_code in (403, 404)


def test_the_administrator_menu_leads_only_to_its_own_work(client):
    login(client, "admin")
    html = page_text(client.get("/"))
    for entry in ("用户列表", "工作单位", "申报年度设置", "后台管理", "通知公告"):
        assert entry in html, entry
    for entry in ("申报审核", "评审会议", "公示与证书", "统计分析", "评审任务", "答辩安排"):
        assert entry not in html, entry
    for path in ("/users/list/", "/units/list/", "/years/list/", "/admin/fa_organisation/", "/admin/fa_dict_item/"):
        assert client.get(path).status_code == 200, path


def test_the_title_office_still_opens_everything(app, client, submitted):
    decl, scan = submitted
    login(client, "zcb")
    for path in _paths(decl, scan)[:10]:
        assert client.get(path).status_code == 200, path
    listed = client.get("/api/v1/declarations/", headers=token(client, "zcb")).json
    assert decl in [d["id"] for d in listed["result"]]
