"""PostgreSQL down: a signed-in person's page answers 503 with the Chinese
error page and an incident number — the error page itself needs no
database — never Flask's bare English "Internal Server Error"."""
import socket
import time

import pytest

from app import create_app
from tests.conftest import APPLICANT_ID, CAPTCHA, login, page_text


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make(app, redis_url, database_uri):
    # TESTING off: what production answers, not an exception raised into the test
    return create_app("test", {
        "SQLALCHEMY_DATABASE_URI": database_uri,
        "INSTANCE_DIR": app.config["INSTANCE_DIR"], "UPLOAD_DIR": app.config["UPLOAD_DIR"],
        "SMS_OUTBOX": app.config["SMS_OUTBOX"], "CAPTCHA_FIXED_CODE": CAPTCHA, "SECRET_KEY": "s" * 48,
        "REDIS_URL": redis_url, "RATELIMIT_STORAGE_URI": redis_url, "TESTING": False})


def assert_said_in_chinese(response):
    assert response.status_code == 503
    body = response.get_data(as_text=True)
    assert "Internal Server Error" not in body and "服务暂时不可用" in page_text(response)
    assert response.headers["X-Request-ID"] in page_text(response) and "事件编号" in page_text(response)


PAGES = ("/declaration/basic", "/", "/messages/", "/review/", "/login/")


def test_a_signed_in_page_while_the_database_is_unreachable(app, redis_url):
    """The same session (in Redis) on an instance whose database is a closed
    port: the account cannot be loaded, nor can the error page load it again."""
    up = make(app, redis_url, app.config["SQLALCHEMY_DATABASE_URI"])
    client = up.test_client()
    assert login(client, APPLICANT_ID).status_code == 302
    assert client.get("/declaration/basic").status_code == 200
    down = make(app, redis_url, f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/gone")
    same_cookie = down.test_client()
    same_cookie._cookies = client._cookies
    for path in PAGES:
        started = time.monotonic()
        response = same_cookie.get(path)
        assert time.monotonic() - started < 5
        assert_said_in_chinese(response)
    api = same_cookie.get("/api/v1/declarations/", headers={"Accept": "application/json"})
    assert api.status_code == 503 and "事件编号" in api.json["message"] and api.json["incident"]
    assert client.get("/declaration/basic").status_code == 200      # the database back: as before


def test_the_database_fails_in_the_middle_of_a_request(app, redis_url, monkeypatch):
    """Connections refused from one moment on (a restart, a failover), with
    the account already loaded once on this instance."""
    from sqlalchemy.engine import Engine
    from sqlalchemy.exc import OperationalError

    from app.platform.extensions import db

    instance = make(app, redis_url, app.config["SQLALCHEMY_DATABASE_URI"])
    client = instance.test_client()
    assert login(client, APPLICANT_ID).status_code == 302
    assert client.get("/declaration/basic").status_code == 200
    with instance.app_context():
        db.engine.dispose()

    def refused(*_args, **_kwargs):
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))

    monkeypatch.setattr(Engine, "connect", refused)
    monkeypatch.setattr(Engine, "raw_connection", refused)
    for path in PAGES:
        assert_said_in_chinese(client.get(path))


def test_the_database_store_of_sessions_down_too(app, monkeypatch):
    """Without Redis the sessions live in the database: opening the session
    fails before any view runs, and is said the same way."""
    from sqlalchemy.engine import Engine
    from sqlalchemy.exc import OperationalError

    instance = make(app, None, app.config["SQLALCHEMY_DATABASE_URI"])
    client = instance.test_client()
    assert login(client, APPLICANT_ID).status_code == 302

    def refused(*_args, **_kwargs):
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))

    monkeypatch.setattr(Engine, "connect", refused)
    monkeypatch.setattr(Engine, "raw_connection", refused)
    response = client.get("/declaration/basic")
    assert response.status_code in (500, 503)
    assert "Internal Server Error" not in response.get_data(as_text=True) and "事件编号" in page_text(response)
