"""The audit trail (等保 level 3): one append-only row per security-relevant
event. Written in the same transaction as the change it records."""
from datetime import datetime, timezone

from flask_appbuilder import Model
from sqlalchemy import Column, DateTime, Integer, String, Text
from sqlalchemy.types import TypeDecorator


def _now():
    return datetime.now(timezone.utc).astimezone()


class AwareDateTime(TypeDecorator):
    """A time that always carries its UTC offset. PostgreSQL keeps it
    (timestamptz); SQLite has no such type, so the server's local time is
    stored and read back with the server's offset."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is not None and dialect.name != "postgresql":
            value = value.astimezone().replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        return value.astimezone() if value is not None and value.tzinfo is None else value


class AuditEvent(Model):
    __tablename__ = "audit_event"
    id = Column(Integer, primary_key=True)
    #: with its UTC offset
    created_at = Column(AwareDateTime, nullable=False, default=_now, index=True)
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
