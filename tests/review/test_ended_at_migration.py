"""The #14 migration records, on the history already there, when each wait ended."""
from datetime import datetime

from sqlalchemy import text

from tests.migrating import scratch_database


def test_migration_fills_when_each_wait_ended(tmp_path, app):
    times = [datetime(2026, 11, day, 9) for day in (2, 5, 9)]
    with scratch_database(app, tmp_path / "m.db") as (engine, upgrade):
        upgrade("7b1f03989c74")
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO ab_user (id, first_name, last_name, username, active, email, "
                              "must_change_password) VALUES (1, 'x', '', 'x', 1, 'x@example.com', 0)"))
            for d in (1, 2):
                conn.execute(text("INSERT INTO declaration (id, applicant_id, year, status, committee_received, "
                                  "reached, created_at, updated_at, version) "
                                  "VALUES (:d, 1, 2025 + :d, 'draft', 0, 0, :t, :t, 1)"), {"d": d, "t": times[0]})
            # declaration 1: three steps; declaration 2, written in between: one
            for i, (d, at) in enumerate([(1, times[0]), (2, times[1]), (1, times[1]), (1, times[2])]):
                conn.execute(text("INSERT INTO review_event (id, declaration_id, action, from_status, to_status, "
                                  "actor_name, org_name, opinion, ip, created_at) "
                                  "VALUES (:i, :d, 'step', 'a', 'b', 'x', '', '', '', :at)"),
                             {"i": i + 1, "d": d, "at": at})
        upgrade()
        with engine.connect() as conn:
            ended = dict(conn.execute(text("SELECT id, ended_at FROM review_event")).all())
    assert ended == {1: str(times[1]), 2: None, 3: str(times[2]), 4: None}
