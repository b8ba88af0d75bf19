"""#10 item 15: the audit trail — who (role, organisation), what, when with
its offset, from where, which request; append-only; read and exported by the
审计管理员 only (三员分立); kept at least six months."""
import io
import re
from datetime import datetime, timedelta, timezone

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, text

from app.platform.audit import AuditTrailIsAppendOnly, purge_old_events, record
from app.platform.extensions import db
from models.audit import AuditEvent
from tests.conftest import APPLICANT_ID, csrf_token, login, page_text


def actions(app):
    with app.app_context():
        return [e for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_login_rows_carry_role_org_ip_request_id_and_offset(app, client):
    login(client, "baili_hr", password="wrong1234")
    response = login(client, "baili_hr")
    rows = actions(app)
    failed, ok = rows[-2], rows[-1]
    assert failed.action == "login.failed" and ok.action == "login.ok"
    assert ok.actor == "baili_hr" and ok.role == "单位审核" and ok.org == "天津百利机械装备集团有限公司"
    assert ok.ip == "127.0.0.1" and len(ok.request_id) == 16 and ok.request_id != failed.request_id
    assert ok.created_at.tzinfo is not None or app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")
    assert response.headers["X-Request-Id"] == ok.request_id


def test_error_page_incident_is_the_request_id(app, client):
    response = client.get("/review/" + "9" * 25)
    assert response.status_code == 404 and response.headers["X-Request-Id"]


def test_rows_cannot_be_changed_or_deleted(app):
    with app.app_context():
        record("test.event", "x")
        db.session.commit()
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "test.event"))
        event.action = "forged"
        with pytest.raises(AuditTrailIsAppendOnly):
            db.session.commit()
        db.session.rollback()
        db.session.delete(db.session.get(AuditEvent, event.id))
        with pytest.raises(AuditTrailIsAppendOnly):
            db.session.commit()
        db.session.rollback()
        assert db.session.get(AuditEvent, event.id).action == "test.event"


def test_retention_keeps_six_months_at_least(app, monkeypatch):
    monkeypatch.setitem(app.config, "AUDIT_RETENTION_DAYS", 30)  # refused: six months is the floor
    with app.app_context():
        now = datetime.now(timezone.utc)
        for days in (10, 170, 200):
            db.session.add(AuditEvent(action=f"old.{days}", created_at=now - timedelta(days=days)))
        db.session.commit()
        assert purge_old_events() == 1
        left = {a for (a,) in db.session.execute(select(AuditEvent.action))}
    assert "old.170" in left and "old.10" in left and "old.200" not in left


def test_only_the_auditor_reads_and_exports(app, client):
    login(client, "zcb")
    for who in ("admin", "zcb", APPLICANT_ID):
        login(client, who)
        assert client.get("/audit/").status_code in (302, 403), who
        assert client.get("/audit/export").status_code in (302, 403), who
    login(client, "audit")
    html = page_text(client.get("/audit/?action=login.ok&actor=zcb"))
    assert "审计日志" in html and "login.ok" in html and "zcb" in html and "baili_hr" not in html
    response = client.get("/audit/export?action=login")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][:5] == ["时间", "账号", "角色", "机构", "操作"]
    assert re.search(r"[+-][0-9]{2}:[0-9]{2}$", values[1][0])  # the time carries its offset
    assert all("（login." in row[4] for row in values[1:]) and len(values) > 3
    assert actions(app)[-1].action == "audit.export"
    assert "审计日志" in page_text(client.get("/"))


def test_the_audit_log_reads_in_chinese(app, client):
    from tests.declaring import act, declaration_id, fill, submit
    login(client, APPLICANT_ID)
    fill(client, app)
    assert submit(client).status_code == 302
    submitted = declaration_id(app)
    login(client, "baili_hr")
    assert act(client, submitted, "return", opinion="请补充材料").status_code == 302
    login(client, "audit")
    html = page_text(client.get("/audit/"))
    assert "登录成功（login.ok）" in html
    assert "审批：退回（workflow.return）" in html and "审批：提交（workflow.submit）" in html
    assert "申报 " in html and not re.search(r"<td>\{&#34;", html)          # objects and values readable
    assert not re.search(r"<td>[^<]*(True|None|null|true)[^<]*</td>", html)


def test_administrator_changes_are_audited(app, client):
    login(client, "admin")
    with app.app_context():
        key, title, body = db.session.execute(text("SELECT key, title, body FROM site_text")).first()
    token = csrf_token(client, f"/admin/fa_site_text/edit/?id={key}")
    # Saved unchanged (the texts outlive a test), yet the save is audited.
    client.post(f"/admin/fa_site_text/edit/?id={key}", data={"title": title, "body": body, "csrf_token": token})
    token = csrf_token(client, "/years/add")
    client.post("/years/add", data={"year": "2031", "opens_on": "2031-01-01", "closes_on": "2031-12-31",
                                    "csrf_token": token})
    got = [e.action for e in actions(app)]
    assert "fa_site_text.update" in got and "declaration_year.create" in got


def test_full_id_views_and_exports_are_audited(app, client):
    from tests.declaring import declaration_id, fill, submit

    login(client, APPLICANT_ID)
    fill(client, app)
    submit(client)
    decl = declaration_id(app)
    login(client, "zcb")
    assert client.get(f"/review/{decl}").status_code == 200
    assert client.get("/review/export?tab=all").status_code == 200
    assert client.get(f"/print/{decl}/summary").status_code == 200
    got = [(e.action, e.actor) for e in actions(app)]
    assert ("pii.view", "zcb") in got and ("export.list", "zcb") in got and ("export.print", "zcb") in got
