"""What "now" and "today" mean: the wall clock of one time zone (TIME_ZONE,
Asia/Shanghai by default), never the server's own zone, which is UTC on most
machines and containers. Every time and date the system takes goes through
here, and every stored time carries its offset."""
import os
from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

DEFAULT_TIME_ZONE = "Asia/Shanghai"

_zone = ZoneInfo(os.environ.get("TIME_ZONE") or DEFAULT_TIME_ZONE)


def configure(name: str | None) -> None:
    """Set the zone (create_app calls this with the TIME_ZONE setting)."""
    global _zone
    _zone = ZoneInfo(name or DEFAULT_TIME_ZONE)


def zone() -> ZoneInfo:
    return _zone


def _utcnow() -> datetime:
    # the one reading of the system clock; tests replace it to fix the moment
    return datetime.now(timezone.utc)


def now() -> datetime:
    """The current moment, aware, in TIME_ZONE."""
    return _utcnow().astimezone(_zone)


def today() -> date:
    """The calendar day in TIME_ZONE (it turns at midnight there, not at the
    server's midnight)."""
    return now().date()


def local(value: datetime | None) -> datetime | None:
    """A time in TIME_ZONE; a naive one is taken as a local time there."""
    if value is None:
        return None
    return value.replace(tzinfo=_zone) if value.tzinfo is None else value.astimezone(_zone)


def start_of(day: date) -> datetime:
    """Midnight at the start of `day` in TIME_ZONE."""
    return datetime.combine(day, time.min, tzinfo=_zone)


class AwareDateTime(TypeDecorator):
    """A time that always carries its UTC offset. PostgreSQL keeps it
    (timestamptz); SQLite has no such type, so the local time in TIME_ZONE is
    stored and read back with that zone's offset. A naive value (older rows,
    a naive time given by code) is a local time in TIME_ZONE."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None or not isinstance(value, datetime):
            return value
        value = local(value)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return local(value)
