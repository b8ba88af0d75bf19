"""A bucket that hangs (accepts connections, never answers): every storage
call gives up within its budget, well below the proxy's timeout; /readyz
says storage down within its own short budget; a stalled bucket takes only
a few threads (others answer 503 存储服务暂时不可用 at once, pages that need
no file go on); a download answers 503 with the message, not 500; /readyz
reports a nearly full disk."""
import re
import socket
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from app.platform.extensions import db
from app.platform.storage import SAVE_FAILED
from config import Config
from models import Attachment
from tests.conftest import APPLICANT_ID, login, page_text
from tests.declaring import basic, post, upload
from tests.platform.conftest import S3_SETTINGS

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def hanging_endpoint():
    """An S3 endpoint on loopback that accepts every connection and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(128)
    server.settimeout(0.2)
    held, stop = [], threading.Event()

    def accept():
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join(timeout=2)
    server.close()
    for conn in held:
        conn.close()


def use_bucket(app, monkeypatch, endpoint, **settings):
    for key, value in {**S3_SETTINGS, "STORAGE_BACKEND": "s3", "S3_BUCKET": "zc-stalled",
                       "S3_ENDPOINT_URL": endpoint, **settings}.items():
        monkeypatch.setitem(app.config, key, value)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def timed(fn):
    started = time.monotonic()
    result = fn()
    return result, time.monotonic() - started


def an_attachment(app, client) -> int:
    """A photo uploaded while the storage works (the local disk)."""
    login(client, APPLICANT_ID)
    assert post(client, "/declaration/basic", basic(app)).status_code == 302
    assert upload(client, "basic", "id_card").json["ok"]
    with app.app_context():
        return db.session.scalars(select(Attachment.id).order_by(Attachment.id.desc())).first()


def test_the_default_budgets_are_well_below_the_proxys_timeout():
    proxy = int(re.search(r"proxy_read_timeout (\d+)s", (ROOT / "deploy/nginx.conf").read_text()).group(1))
    budget = Config.S3_MAX_ATTEMPTS * (Config.S3_CONNECT_TIMEOUT + Config.S3_READ_TIMEOUT)
    assert budget + Config.STORAGE_WAIT_SECONDS <= proxy / 2, (budget, proxy)
    assert Config.READYZ_STORAGE_SECONDS <= 3


def test_readyz_says_storage_down_within_its_own_budget(app, client, monkeypatch, hanging_endpoint):
    use_bucket(app, monkeypatch, hanging_endpoint)            # the requests' own budget: the defaults
    ready, seconds = timed(lambda: client.get("/readyz"))
    assert ready.status_code == 503 and ready.json["checks"]["storage"]["state"] == "down"
    assert seconds < app.config["READYZ_STORAGE_SECONDS"] + 1.5, seconds
    assert "127.0.0.1" not in ready.get_data(as_text=True)


def test_an_upload_to_a_hanging_bucket_answers_within_its_budget(app, client, monkeypatch, hanging_endpoint):
    login(client, APPLICANT_ID)
    assert post(client, "/declaration/basic", basic(app)).status_code == 302
    use_bucket(app, monkeypatch, hanging_endpoint, S3_CONNECT_TIMEOUT=1, S3_READ_TIMEOUT=1, S3_MAX_ATTEMPTS=2)
    response, seconds = timed(lambda: upload(client, "basic", "id_card"))
    assert response.status_code == 503 and response.json["message"] == SAVE_FAILED
    assert seconds < 2 * (1 + 1) + 2, seconds          # attempts × (connect + read), and the pause between
    with app.app_context():
        assert db.session.scalar(select(Attachment.id)) is None       # no row for a file not stored


def test_a_download_while_the_bucket_hangs_answers_503_with_the_message(app, client, monkeypatch,
                                                                       hanging_endpoint):
    attachment = an_attachment(app, client)
    use_bucket(app, monkeypatch, hanging_endpoint, S3_CONNECT_TIMEOUT=1, S3_READ_TIMEOUT=1, S3_MAX_ATTEMPTS=1)
    response, seconds = timed(lambda: client.get(f"/attachments/{attachment}"))
    assert response.status_code == 503 and seconds < 4, seconds
    text = page_text(response)
    assert "存储服务暂时不可用" in text and response.headers["X-Request-ID"] in text


def test_a_hanging_bucket_does_not_take_every_thread(app, monkeypatch, hanging_endpoint):
    owner = app.test_client()
    attachment = an_attachment(app, owner)
    use_bucket(app, monkeypatch, hanging_endpoint, S3_CONNECT_TIMEOUT=1, S3_READ_TIMEOUT=4, S3_MAX_ATTEMPTS=1,
               STORAGE_CONCURRENCY=2, STORAGE_WAIT_SECONDS=0.5)
    waiting = []
    for _ in range(2):   # two downloads wait on the bucket: every turn of this process taken
        client = app.test_client()
        client._cookies = owner._cookies
        thread = threading.Thread(target=lambda c=client: waiting.append(c.get(f"/attachments/{attachment}")))
        thread.start()
        waiting.append(thread)
    time.sleep(0.8)
    third, seconds = timed(lambda: owner.get(f"/attachments/{attachment}"))
    assert third.status_code == 503 and "存储服务暂时不可用" in page_text(third) and seconds < 1.5, seconds
    page, seconds = timed(lambda: owner.get("/declaration/basic"))   # needs no file: not held up
    assert page.status_code == 200 and seconds < 1.5, seconds
    for thread in [w for w in waiting if isinstance(w, threading.Thread)]:
        thread.join(timeout=15)
    answers = [w for w in waiting if not isinstance(w, threading.Thread)]
    assert [a.status_code for a in answers] == [503, 503]


def test_after_a_call_found_the_bucket_unreachable_the_next_ones_fail_at_once(app, monkeypatch,
                                                                           hanging_endpoint):
    """A page that checks several files (the completeness check) waits one
    budget, not one per file."""
    from app.platform.storage import StorageError, storage

    use_bucket(app, monkeypatch, hanging_endpoint, S3_CONNECT_TIMEOUT=1, S3_READ_TIMEOUT=1, S3_MAX_ATTEMPTS=1,
               STORAGE_PAUSE_SECONDS=1.5)
    with app.app_context():
        store = storage()
        with pytest.raises(StorageError):
            store.exists(f"{1:032x}.jpg")
        for n in range(2, 6):
            started = time.monotonic()
            with pytest.raises(StorageError):
                store.exists(f"{n:032x}.jpg")
            assert time.monotonic() - started < 0.2
        time.sleep(1.6)               # the pause over: the bucket is asked again
        started = time.monotonic()
        with pytest.raises(StorageError):
            store.exists(f"{9:032x}.jpg")
        assert time.monotonic() - started >= 0.9


def test_readyz_reports_a_nearly_full_disk(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "READYZ_DISK_MIN_FREE_PERCENT", 100.5)   # no disk has that much free
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.json["checks"]["disk"]["state"] == "down"
    assert set(ready.json["checks"]["disk"]["free_percent"]) >= {"instance", "temp", "uploads"}
    assert app.config["INSTANCE_DIR"] not in ready.get_data(as_text=True)
    monkeypatch.setitem(app.config, "READYZ_DISK_MIN_FREE_PERCENT", 0)
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json["checks"]["disk"]["state"] == "ok"
