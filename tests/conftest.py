"""Fixtures: one app per test session (SQLite file, or PostgreSQL when
DATABASE_URL is set), built by migrations exactly as `flask setup` builds
production; every test starts from the demo world (organisations and one
account per role) with empty sessions, codes, limits and SMS outbox."""
from __future__ import annotations

import json
import logging
import os
import re
import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import event, text

from app import create_app
from app.cli import setup_database
from app.data.demo import DEMO_PASSWORD, load_demo
from app.platform.extensions import db
from config import database_url
from models.registry import SECTIONS

APPLICANT_ID = "120101199003070013"
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def missing_service(reason: str):
    """Skip a test whose service is absent — but in CI (REQUIRE_SERVICES) fail."""
    if os.environ.get("REQUIRE_SERVICES"):
        pytest.fail(f"{reason} (REQUIRE_SERVICES is set)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def redis_url():
    import redis

    try:
        redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError:
        missing_service(f"Redis does not answer at {TEST_REDIS_URL}")
    return TEST_REDIS_URL
CAPTCHA = "TEST"


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("instance")
    url = database_url(os.environ.get("DATABASE_URL") or f"sqlite:///{tmp / 'test.db'}")
    app = create_app("test", {
        "SQLALCHEMY_DATABASE_URI": url,
        "INSTANCE_DIR": str(tmp),
        "UPLOAD_DIR": str(tmp / "uploads"),
        "SMS_OUTBOX": str(tmp / "sms_outbox.jsonl"),
        "CAPTCHA_FIXED_CODE": CAPTCHA,
        "REDIS_URL": None,
    })
    with app.app_context():
        setup_database()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


WIPE = [
    "DELETE FROM kv_entry",
    "DELETE FROM ballot",
    "DELETE FROM vote_cast",
    "DELETE FROM review_opinion",
    "DELETE FROM expert_draw",
    "DELETE FROM group_expert",
    "DELETE FROM group_declaration",
    "DELETE FROM review_group",
    "DELETE FROM objection",
    "DELETE FROM meeting",
    "DELETE FROM expert_conflict",
    "DELETE FROM expert_committee",
    "DELETE FROM expert",
    "DELETE FROM holiday",
    "DELETE FROM certificate",
    "DELETE FROM pledge_confirmation",
    "DELETE FROM correction_deadline",
    "DELETE FROM audit_event",
    "DELETE FROM attachment",
    "DELETE FROM review_event",
    "DELETE FROM notification",
    "DELETE FROM overdue_reminder",
    "DELETE FROM defence_arrangement",
    "DELETE FROM certificate_counter",
    "DELETE FROM declaration_year",
    "DELETE FROM export_job",
    "DELETE FROM announcement",
    "DELETE FROM step_time_limit",
    *[f"DELETE FROM {section.table}" for section in SECTIONS],
    "DELETE FROM declaration",
    "DELETE FROM ab_user_role",
    "DELETE FROM ab_user_group",
    "DELETE FROM ab_group_role",
    "DELETE FROM ab_group",
    "DELETE FROM ab_register_user",
    "DELETE FROM ab_api_key",
    "UPDATE ab_user SET created_by_fk = NULL, changed_by_fk = NULL",
    "DELETE FROM ab_user",
    "DELETE FROM committee_series",
    "DELETE FROM committee_level",
    "UPDATE organisation SET parent_id = NULL",
    "DELETE FROM organisation",
]


class _AllLines(logging.Handler):
    """Every log line the suite writes, formatted as a handler would (#10 item 7)."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record):
        self.lines.append(self.format(record))


LOG_LINES = _AllLines()
SECRETS: set[str] = set()  # SMS codes and temporary passwords sent during the suite


@pytest.fixture(scope="session", autouse=True)
def no_personal_data_in_logs(app):
    """One scan of every log line written by the whole suite: no full ID
    number, phone, SMS code, temporary password or demo password."""
    root = logging.getLogger()
    root.addHandler(LOG_LINES)
    yield
    root.removeHandler(LOG_LINES)
    id_re = re.compile(r"(?<![0-9A-Za-z])[1-9][0-9]{16}[0-9Xx](?![0-9A-Za-z])")
    phone_re = re.compile(r"(?<![0-9A-Za-z])1[3-9][0-9]{9}(?![0-9A-Za-z])")
    words = re.compile("|".join(rf"(?<![0-9A-Za-z]){re.escape(w)}(?![0-9A-Za-z])" for w in {DEMO_PASSWORD, *SECRETS}))
    leaks = [line for line in LOG_LINES.lines if id_re.search(line) or phone_re.search(line) or words.search(line)]
    assert not leaks, f"personal data in {len(leaks)} log lines, e.g. {leaks[:3]}"


def _remember_secrets(app):
    for message in outbox(app):
        SECRETS.update(re.findall(r"(?:验证码为|临时密码为)([0-9A-Za-z]{6,})", message["text"]))


@pytest.fixture(autouse=True)
def world(app):
    """The demo world, fresh for every test."""
    with app.app_context():
        for stmt in WIPE:
            db.session.execute(text(stmt))
        db.session.commit()
        load_demo()
        app.appbuilder.sm.limiter.reset()
    Path(app.config["SMS_OUTBOX"]).unlink(missing_ok=True)
    shutil.rmtree(app.config["UPLOAD_DIR"], ignore_errors=True)
    app.config["CAPTCHA_FIXED_CODE"] = CAPTCHA
    yield
    _remember_secrets(app)
    with app.app_context():
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client, path: str) -> str:
    html = client.get(path).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client, username, password=DEMO_PASSWORD, captcha=CAPTCHA):
    if client.get("/login/").status_code == 302:   # someone is logged in on this client
        logout(client)
    token = csrf_token(client, "/login/")
    return client.post("/login/", data={"username": username, "password": password, "captcha": captcha,
                                        "csrf_token": token})


def logout(client):
    token = csrf_token(client, "/account/password")
    return client.post("/logout/", data={"csrf_token": token})


def outbox(app) -> list[dict]:
    path = Path(app.config["SMS_OUTBOX"])
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def last_code(app, phone: str) -> str:
    texts = [m["text"] for m in outbox(app) if m["phone"] == phone]
    assert texts, f"no SMS to {phone}"
    return re.search(r"验证码为([0-9]{6})", texts[-1]).group(1)


def page_text(response) -> str:
    return response.get_data(as_text=True)


@contextmanager
def statements(app):
    """The SQL statements run meanwhile (the list fills as they run), leaving out
    the shared store's: the `kv_entry` table here, Redis in production."""
    seen: list[str] = []

    def note(conn, cursor, sql, parameters, context, executemany):
        if "kv_entry" not in sql:
            seen.append(sql)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def generic_plan(statement, off=("enable_sort", "enable_seqscan")) -> str:
    """PostgreSQL's EXPLAIN of `statement` (with its values bound) prepared and
    planned once for any parameters, as psycopg's statements are once prepared.
    `off`: planner methods turned off, because a test database's tiny tables
    would be scanned and sorted whatever the indexes. Call within an app context."""
    compiled = statement.compile(dialect=db.engine.dialect)
    state = compiled.construct_expanded_state(compiled.params)   # values written into the SQL rendered
    names = re.findall(r"%\((\w+)\)s", state.statement)
    sql = re.sub(r"%\((\w+)\)s", lambda m, n=iter(range(1, len(names) + 1)): f"${next(n)}", state.statement)

    def written(value):   # as SQL, for a statement psycopg sends without parameters ('%' doubled)
        return str(value) if isinstance(value, int) else "'" + str(value).replace("'", "''").replace("%", "%%") + "'"

    with db.engine.connect() as conn:
        for setting in off:
            conn.exec_driver_sql(f"SET {setting} = off")
        conn.exec_driver_sql("SET plan_cache_mode = force_generic_plan")
        conn.exec_driver_sql(f"PREPARE generic AS {sql}")
        values = ", ".join(written(state.parameters[name]) for name in names)
        return "\n".join(row[0] for row in conn.exec_driver_sql(f"EXPLAIN EXECUTE generic({values})"))
