"""Writing the audit trail: `record()` adds one row to the current
transaction, so the change and its audit row commit (or fail) together.

The trail is append-only (等保 level 3): a session guard refuses any change
or deletion of an AuditEvent through the app; only the retention task below
removes rows older than AUDIT_RETENTION_DAYS (never less than six months)."""
from __future__ import annotations

import json
from datetime import datetime, timedelta
from types import SimpleNamespace

from flask import current_app, g, has_request_context, request
from sqlalchemy import delete, event
from sqlalchemy.orm import Session

from app.platform.extensions import db
from app.platform.jobs import task
from models import clock
from models.audit import AuditEvent


def _json(value) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)


#: the actor of a step nobody took by hand (the schedule): no account, even
#: when it runs inside someone's request
NOBODY = SimpleNamespace(id=None, is_authenticated=False)


def record(action: str, target: str = "", *, before=None, after=None, actor=None, role=None) -> AuditEvent:
    """Add an audit row for `action` on `target` by `actor` (default: the
    signed-in user), acting as `role` (default: all the actor's roles)."""
    if actor is None and has_request_context():
        actor = getattr(g, "user", None)
    signed_in = actor is not None and getattr(actor, "is_authenticated", True) and getattr(actor, "id", None)
    if role is None:
        role = ",".join(sorted(r.name for r in getattr(actor, "roles", []))) if signed_in else ""
    event = AuditEvent(
        action=action,
        target=target,
        before=_json(before),
        after=_json(after),
        actor_id=actor.id if signed_in else None,
        actor=(getattr(actor, "username", "") or "") if signed_in else "",
        role=role,
        org=(actor.org.name if getattr(actor, "org", None) else "") if signed_in else "",
        ip=(request.remote_addr or "") if has_request_context() else "",
        request_id=(getattr(g, "request_id", "") or "") if has_request_context() else "",
    )
    db.session.add(event)
    return event


def identifiers_read(action: str, target: str, count: int, **details) -> AuditEvent:
    """The one audit row of a request that shows full (unmasked) ID numbers
    or phones — a page, an export, a printout, the API — with how many
    people's it shows. Call it once per request, before the data leaves;
    it commits, so the read is on record even if sending fails."""
    event = record(action, target, after={"count": count, **details})
    db.session.commit()
    return event


class AuditTrailIsAppendOnly(RuntimeError):
    pass


@event.listens_for(Session, "before_flush")
def _append_only(session: Session, flush_context, instances) -> None:
    for obj in [*session.dirty, *session.deleted]:
        if isinstance(obj, AuditEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise AuditTrailIsAppendOnly("审计记录不能修改或删除")


@task("audit.purge", every=timedelta(days=1))
def purge_old_events() -> int:
    """Delete rows past the retention period (the only deletion there is)."""
    days = max(183, int(current_app.config.get("AUDIT_RETENTION_DAYS", 365)))
    cutoff = clock.now() - timedelta(days=days)
    count = db.session.execute(delete(AuditEvent).where(AuditEvent.created_at < cutoff)).rowcount
    db.session.commit()
    return count


AUDIT_FILTERS = ("action", "actor", "target", "ip", "request_id", "since", "until")


def search_events(filters: dict):
    """The audit log, newest first, narrowed by the 审计管理员's filters
    (text fields match a prefix; dates are whole days)."""
    from sqlalchemy import select

    stmt = select(AuditEvent)
    for name in ("action", "actor", "target", "ip", "request_id"):
        value = (filters.get(name) or "").strip()
        if value:
            stmt = stmt.where(getattr(AuditEvent, name).startswith(value, autoescape=True))
    for name, op in (("since", "__ge__"), ("until", "__lt__")):
        value = (filters.get(name) or "").strip()
        if value:
            try:
                day = clock.start_of(datetime.strptime(value, "%Y-%m-%d").date())
            except ValueError:
                continue
            if name == "until":
                day += timedelta(days=1)
            stmt = stmt.where(getattr(AuditEvent.created_at, op)(day))
    return stmt.order_by(AuditEvent.id.desc())
