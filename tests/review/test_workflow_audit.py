"""W8: every step of the workflow is in the audit trail as well as in the
history — the action, from→to, who in which role, the request id and the
time with its UTC offset — written in the step's own transaction."""
import json
from datetime import timedelta

from sqlalchemy import select

from app.platform.extensions import db
from models import AuditEvent, Declaration, ReviewEvent, clock
from tests.conftest import APPLICANT_ID, csrf_token, login
from tests.declaring import act, declaration_id, fill, status_of, submit


def rows(app, decl):
    with app.app_context():
        return db.session.scalars(select(AuditEvent).where(AuditEvent.target == f"declaration:{decl}",
                                                           AuditEvent.action.startswith("workflow."))
                                  .order_by(AuditEvent.id)).all()


def test_submit_approve_and_return_are_audited_with_role_request_and_offset(app, client):
    login(client, APPLICANT_ID)
    fill(client, app)
    submitted = submit(client)
    assert submitted.status_code == 302
    decl = declaration_id(app)
    login(client, "baili_hr")
    approved = act(client, decl, "approve")
    login(client, "gxj_zc")
    returned = act(client, decl, "return", opinion="材料不全")
    assert status_of(app, decl) == "returned"

    got = rows(app, decl)
    with app.app_context():
        from models.user import applicant_username
        applicant_name = applicant_username(APPLICANT_ID)
    assert [(e.action, json.loads(e.before)["status"], json.loads(e.after)["status"], e.actor, e.role)
            for e in got] == [
        ("workflow.submit", "draft", "unit_review", applicant_name, "申报人"),
        ("workflow.approve", "unit_review", "dept_review", "baili_hr", "单位审核"),
        ("workflow.return", "dept_review", "returned", "gxj_zc", "主管部门"),
    ]
    assert [e.request_id for e in got] == [r.headers["X-Request-Id"] for r in (submitted, approved, returned)]
    for e in got:
        assert e.created_at.utcoffset() is not None   # the time carries its offset
        assert e.ip == "127.0.0.1" and e.actor_id


def test_the_audit_row_commits_with_the_step_or_not_at_all(app, client, submitted):
    login(client, "baili_hr")
    assert act(client, submitted, "approve", version=99).status_code == 302   # someone else acted first
    assert status_of(app, submitted) == "unit_review"
    assert [e.action for e in rows(app, submitted)] == ["workflow.submit"]


def test_a_step_of_the_schedule_is_audited_as_the_system(app, client, submitted):
    from app.review.deadlines import mark_overdue

    login(client, "baili_hr")
    token = csrf_token(client, f"/review/{submitted}")
    with app.app_context():
        version = str(db.session.get(Declaration, submitted).version)
    client.post(f"/review/{submitted}/act", data={"action": "return", "opinion": "补充材料", "version": version,
                                                  "due": (clock.today() + timedelta(days=1)).isoformat(),
                                                  "csrf_token": token})
    assert status_of(app, submitted) == "returned"
    with app.app_context():
        assert mark_overdue(clock.today() + timedelta(days=2)) == 1
        events = db.session.scalars(select(ReviewEvent.action).where(ReviewEvent.declaration_id == submitted)
                                     .order_by(ReviewEvent.id)).all()
    assert events[-1] == "expire"
    last = rows(app, submitted)[-1]
    assert (last.action, last.actor, last.actor_id, last.role) == ("workflow.expire", "", None, "系统")
