"""One clock: TIME_ZONE (Asia/Shanghai) decides what "now" and "today" mean,
whatever the server's own zone. Each test runs with the process in UTC (most
machines and containers) and in Asia/Shanghai; the moment is fixed through
models.clock._utcnow, the one reading of the system clock."""
import os
import re
import time
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from app.declaration.data import year_window
from app.platform.extensions import db
from models import AuditEvent, Declaration, DeclarationYear, ReviewEvent, clock
from tests.conftest import APPLICANT_ID, login, logout, page_text
from tests.declaring import declaration_id, fill, status_of, submit
from tests.insight.test_api import token


@pytest.fixture(params=["UTC", "Asia/Shanghai"])
def server_zone(request):
    """The process's own zone (what datetime.now() and date.today() follow)."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = request.param
    time.tzset()
    yield request.param
    if before is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = before
    time.tzset()


@pytest.fixture
def at(monkeypatch):
    """at("2026-12-31 15:30"): the moment, in UTC, the system now lives in."""
    def set_moment(utc: str) -> None:
        moment = datetime.fromisoformat(utc).replace(tzinfo=timezone.utc)
        monkeypatch.setattr("models.clock._utcnow", lambda: moment)
    return set_moment


def window_of_2026(app, closes_on=date(2026, 12, 31)):
    with app.app_context():
        year = db.session.scalar(select(DeclarationYear).where(DeclarationYear.year == 2026))
        if year is None:
            year = DeclarationYear(year=2026)
            db.session.add(year)
        year.opens_on, year.closes_on = date(2026, 1, 1), closes_on
        db.session.commit()


def test_today_turns_at_midnight_in_beijing(server_zone, at):
    at("2026-12-31 15:30")                       # 23:30 in Beijing
    assert clock.today() == date(2026, 12, 31)
    assert clock.now().isoformat(timespec="minutes") == "2026-12-31T23:30+08:00"
    at("2026-12-31 16:10")                       # 00:10 the next day in Beijing, still the 31st in UTC
    assert clock.today() == date(2027, 1, 1)


@pytest.mark.parametrize("utc, accepted", [("2026-12-31 15:50", True),    # 23:50 in Beijing
                                           ("2026-12-31 16:10", False)])  # 00:10 on 1 January
def test_the_window_closes_at_midnight_in_beijing(app, client, server_zone, at, utc, accepted):
    window_of_2026(app)
    at("2026-12-31 15:00")
    login(client, APPLICANT_ID)
    fill(client, app)
    decl = declaration_id(app)
    at(utc)
    with app.app_context():
        assert year_window(2026).state == ("open" if accepted else "closed")
    response = submit(client)
    assert status_of(app, decl) == ("unit_review" if accepted else "draft")
    assert (response.status_code == 302) is accepted


def test_times_are_shown_and_given_in_beijing_time(app, client, server_zone, at):
    """A submission at 23:30 Beijing time (15:30 UTC) belongs to 31 December on
    审批流程, the reviewer's list and page, in the audit log and in the API."""
    window_of_2026(app)
    at("2026-12-31 15:30")
    login(client, APPLICANT_ID)
    fill(client, app)
    assert submit(client).status_code == 302
    decl = declaration_id(app)
    assert "2026-12-31 23:30" in page_text(client.get("/declaration/flow"))
    home = page_text(client.get("/"))
    assert "本次登录 2026-12-31 23:30" in home
    with app.app_context():
        stored = db.session.scalar(select(Declaration.submitted_at).where(Declaration.id == decl))
        assert stored.utcoffset().total_seconds() == 8 * 3600 and stored.hour == 23
        event = db.session.scalar(select(ReviewEvent.created_at).where(ReviewEvent.declaration_id == decl))
        assert event.isoformat(timespec="minutes") == "2026-12-31T23:30+08:00"
    logout(client)

    login(client, "baili_hr")
    assert "2026-12-31 23:30" in page_text(client.get("/review/"))
    assert "2026-12-31 23:30" in page_text(client.get(f"/review/{decl}"))
    auth = token(client, "baili_hr")
    detail = client.get(f"/api/v1/declarations/{decl}", headers=auth).json
    assert detail["submitted_at"].startswith("2026-12-31T23:30") and detail["submitted_at"].endswith("+08:00")
    history = client.get(f"/api/v1/declarations/{decl}/history", headers=auth).json
    times = [e["created_at"] for e in history["result"]]
    assert times and all(re.fullmatch(r"2026-12-31T23:30:00(\.\d+)?\+08:00", t) for t in times), times
    logout(client)

    login(client, "audit")
    html = page_text(client.get("/audit/?action=login.ok&actor=baili_hr"))
    assert "2026-12-31T23:30:00+08:00" in html
    with app.app_context():
        logged = db.session.scalar(select(AuditEvent.created_at).where(AuditEvent.action == "login.ok")
                                   .order_by(AuditEvent.id.desc()))
        assert logged.isoformat(timespec="minutes") == "2026-12-31T23:30+08:00"


def test_a_naive_time_is_a_beijing_local_time(app, server_zone):
    """Rows written before times carried their offset hold Beijing wall-clock
    times; they are read as such, not as the server's local time."""
    from models.clock import AwareDateTime

    kind = AwareDateTime()
    naive = datetime(2026, 12, 31, 23, 30)
    assert kind.process_result_value(naive, None).isoformat() == "2026-12-31T23:30:00+08:00"
    with app.app_context():
        dialect = db.engine.dialect
        stored = kind.process_bind_param(naive, dialect)
        if dialect.name == "postgresql":
            assert stored.isoformat() == "2026-12-31T23:30:00+08:00"
        else:
            assert stored == naive
        utc = datetime(2026, 12, 31, 15, 30, tzinfo=timezone.utc)
        again = kind.process_bind_param(utc, dialect)
        assert (again if dialect.name == "postgresql" else again.replace(tzinfo=clock.zone())) == utc


def test_the_real_clock_is_read_in_beijing(app, client, server_zone):
    """Without a fixed moment too: 本次登录 and the 申报年度's today are
    Beijing's, even with the process in UTC."""
    from zoneinfo import ZoneInfo

    login(client, APPLICANT_ID)
    home = page_text(client.get("/"))
    beijing = datetime.now(ZoneInfo("Asia/Shanghai"))
    shown = re.search(r"本次登录 (\d{4}-\d\d-\d\d \d\d:\d\d)", home).group(1)
    shown = datetime.strptime(shown, "%Y-%m-%d %H:%M").replace(tzinfo=ZoneInfo("Asia/Shanghai"))
    assert abs((beijing - shown).total_seconds()) < 120, (shown, beijing)
    with app.app_context():
        assert year_window().today == beijing.date()


def test_migration_reads_old_times_as_beijing_times(tmp_path, app):
    """Times written before they carried an offset were Beijing wall-clock
    times; after the migration they mean that instant on either database."""
    from sqlalchemy import text

    from tests.migrating import scratch_database

    with scratch_database(app, tmp_path / "m.db", same_kind=True) as (engine, upgrade):
        upgrade("b8d4f0e26c31")
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO ab_user (id, first_name, last_name, username, active, email, "
                              "must_change_password, last_login) VALUES (1, 'x', '', 'x', :yes, 'x@example.com', "
                              ":no, :at)"), {"yes": True, "no": False, "at": datetime(2026, 12, 31, 23, 30)})
        upgrade()
        with engine.connect() as conn:
            if engine.dialect.name == "postgresql":
                conn.execute(text("SET TIME ZONE 'UTC'"))
            stored = conn.execute(text("SELECT last_login FROM ab_user WHERE id = 1")).scalar_one()
    stored = datetime.fromisoformat(stored) if isinstance(stored, str) else stored
    assert clock.local(stored) == datetime(2026, 12, 31, 15, 30, tzinfo=timezone.utc)
