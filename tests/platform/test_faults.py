"""Redis faults and health (#11): with Redis on a closed port every answer
comes fast, public pages work, the login page says what is wrong with an
incident number, and the app recovers by itself when Redis comes back."""
import shutil
import socket
import subprocess
import time

import pytest

from app import create_app
from tests.conftest import APPLICANT_ID, CAPTCHA, login, page_text


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def make_app(app):
    def make(redis_url, **extra):
        return create_app("test", {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "INSTANCE_DIR": app.config["INSTANCE_DIR"], "UPLOAD_DIR": app.config["UPLOAD_DIR"],
            "SMS_OUTBOX": app.config["SMS_OUTBOX"], "CAPTCHA_FIXED_CODE": CAPTCHA,
            "REDIS_URL": redis_url, "RATELIMIT_STORAGE_URI": redis_url, **extra})
    return make


def timed(fn):
    started = time.monotonic()
    result = fn()
    return result, time.monotonic() - started


def test_redis_down_public_pages_work_and_login_says_so(make_app):
    down = make_app(f"redis://127.0.0.1:{closed_port()}/0")
    client = down.test_client()
    page, seconds = timed(lambda: client.get("/verify/"))
    assert page.status_code == 200 and seconds < 1.5
    lookup, seconds = timed(lambda: client.post("/verify/", data={"no": "2026-05-99999", "name": "张明"}))
    assert lookup.status_code == 200 and "未查到该证书" in page_text(lookup) and seconds < 1.5
    assert client.get("/static/css/app.css").status_code == 200
    assert client.get("/healthz").json == {"status": "ok"}
    login_page, seconds = timed(lambda: client.get("/login/"))
    assert login_page.status_code == 503 and seconds < 1.5
    text = page_text(login_page)
    assert "服务暂时不可用" in text and "事件编号" in text
    assert login_page.headers["X-Request-ID"] in text        # the incident number is the request id
    api = client.post("/register/sms", data={"phone": "13912340000"}, headers={"Accept": "application/json"})
    assert api.status_code == 503 and api.json["incident"] and "事件编号" in api.json["message"]
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.json["checks"]["redis"]["state"] == "down"
    assert ready.json["checks"]["database"]["state"] == "ok"
    assert "127.0.0.1" not in ready.get_data(as_text=True)   # no addresses or secrets


@pytest.mark.skipif(not shutil.which("redis-server"), reason="redis-server is not installed")
def test_the_app_recovers_by_itself_when_redis_comes_back(make_app, tmp_path):
    port = closed_port()
    flaky = make_app(f"redis://127.0.0.1:{port}/0")
    client = flaky.test_client()
    assert client.get("/login/").status_code == 503
    server = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                               "--appendonly", "no", "--dir", str(tmp_path)], stdout=subprocess.DEVNULL)
    try:
        deadline = time.time() + 10
        while time.time() < deadline and client.get("/healthz").status_code == 200:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        assert client.get("/login/").status_code == 200              # no restart needed
        assert login(client, APPLICANT_ID).status_code == 302
        assert client.get("/readyz").json["checks"]["redis"]["state"] == "ok"
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert client.get("/").status_code == 503                       # down again: said, not a 500


def test_readyz_reports_every_service_when_all_is_well(app, client):
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json["status"] == "ok"
    assert set(ready.json["checks"]) == {"database", "redis", "storage", "queue", "disk"}
    for check in ready.json["checks"].values():
        assert check["state"] == "ok" and check["ms"] >= 0


def test_readyz_reports_an_unwritable_storage(app, client, tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(blocker / "uploads"))
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.json["checks"]["storage"]["state"] == "down"


def test_a_terminated_database_connection_does_not_fail_the_next_request(app, client):
    from sqlalchemy import text

    from app.platform.extensions import db
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("connection termination is a PostgreSQL matter")
    login(client, APPLICANT_ID)
    with app.app_context():
        with db.engine.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
            conn.commit()
    assert client.get("/declaration/basic").status_code == 200
