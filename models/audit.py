"""The audit trail (等保 level 3): one append-only row per security-relevant
event. Written in the same transaction as the change it records."""
from flask_appbuilder import Model
from sqlalchemy import Column, Integer, String, Text

from models.clock import AwareDateTime, now


class AuditEvent(Model):
    __tablename__ = "audit_event"
    id = Column(Integer, primary_key=True)
    #: with its UTC offset
    created_at = Column(AwareDateTime, nullable=False, default=now, index=True)
    #: the account's id and name at the time (no foreign key: rows outlive accounts)
    actor_id = Column(Integer, index=True)
    actor = Column(String(100), nullable=False, default="")
    role = Column(String(200), nullable=False, default="")
    org = Column(String(200), nullable=False, default="")
    #: e.g. login.ok, login.failed, user.update, unit.merge, export.list
    action = Column(String(50), nullable=False, index=True)
    #: what was acted on, e.g. "ab_user:12" or "organisation:3"
    target = Column(String(200), nullable=False, default="")
    before = Column(Text)
    after = Column(Text)
    ip = Column(String(45), nullable=False, default="")
    request_id = Column(String(32), nullable=False, default="")
