"""Writing the audit trail: `record()` adds one row to the current
transaction, so the change and its audit row commit (or fail) together."""
from __future__ import annotations

import json

from flask import g, has_request_context, request

from app.platform.extensions import db
from models.audit import AuditEvent


def _json(value) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)


def record(action: str, target: str = "", *, before=None, after=None, actor=None) -> AuditEvent:
    """Add an audit row for `action` on `target` by `actor` (default: the signed-in user)."""
    if actor is None and has_request_context():
        actor = getattr(g, "user", None)
    signed_in = actor is not None and getattr(actor, "is_authenticated", True) and getattr(actor, "id", None)
    event = AuditEvent(
        action=action,
        target=target,
        before=_json(before),
        after=_json(after),
        actor_id=actor.id if signed_in else None,
        actor=(getattr(actor, "username", "") or "") if signed_in else "",
        role=",".join(sorted(r.name for r in getattr(actor, "roles", []))) if signed_in else "",
        org=(actor.org.name if getattr(actor, "org", None) else "") if signed_in else "",
        ip=(request.remote_addr or "") if has_request_context() else "",
        request_id=(getattr(g, "request_id", "") or "") if has_request_context() else "",
    )
    db.session.add(event)
    return event
