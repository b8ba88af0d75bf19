"""Several instances (#11): two gunicorn instances and one job worker on one
PostgreSQL, one Redis and one S3 endpoint; a declaration goes through
upload, submit, review, a background export and a batch printout with every
request sent to the other instance than the one before."""
import io
import os
import re
import subprocess
import sys
import time
import urllib.request
import uuid
import zipfile
from pathlib import Path

import pytest
import requests
from openpyxl import load_workbook

from tests.conftest import APPLICANT_ID, CAPTCHA, login
from tests.declaring import act, declaration_id, fill, status_of, submit
from tests.platform.conftest import S3_SETTINGS, free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


class Reply:
    """What the shared test helpers read from a response."""

    def __init__(self, response: requests.Response):
        self.status_code = response.status_code
        self.headers = response.headers
        self.data = response.content
        self._response = response

    def get_data(self, as_text=False):
        return self._response.text if as_text else self.data

    @property
    def json(self):
        return self._response.json()


class Alternating:
    """A browser whose every request goes to the next instance in turn
    (cookies are per host, not per port, so the session goes along)."""

    def __init__(self, bases):
        self.bases, self.turn, self.http, self.served = bases, 0, requests.Session(), []

    def _base(self):
        base = self.bases[self.turn % len(self.bases)]
        self.turn += 1
        self.served.append(base)
        return base

    def get(self, path, headers=None, follow_redirects=False):
        return Reply(self.http.get(self._base() + path, headers=headers, allow_redirects=follow_redirects,
                                   timeout=60))

    def post(self, path, data=None, headers=None, content_type=None, follow_redirects=False):
        form, files = {}, {}
        for key, value in (data or {}).items():
            if isinstance(value, tuple):
                files[key] = (value[1], value[0].getvalue(), "application/octet-stream")
            else:
                form[key] = value
        return Reply(self.http.post(self._base() + path, data=form, files=files or None, headers=headers,
                                    allow_redirects=follow_redirects, timeout=60))


def wait_until_up(url, process, seconds=90):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{url} exited: {process.stdout.read()[-3000:]}")
        try:
            urllib.request.urlopen(url + "/healthz", timeout=2)   # noqa: S310 (loopback)
            return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"{url} did not start")


@pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"),
                    reason="the several-instance run is on PostgreSQL (make test's second pass, CI)")
def test_two_instances_and_a_worker_carry_a_declaration_through(app, bucket, redis_url, monkeypatch):
    _, bucket_name = bucket
    queue = f"test-multi-{uuid.uuid4().hex[:8]}"
    env = dict(os.environ, ENV="development", SECRET_KEY="m" * 48, INSTANCE_DIR=app.config["INSTANCE_DIR"],
               DATABASE_URL=os.environ["DATABASE_URL"], REDIS_URL=redis_url, RATELIMIT_STORAGE_URI=redis_url,
               JOB_QUEUE=queue, CAPTCHA_FIXED_CODE=CAPTCHA, STORAGE_BACKEND="s3", S3_BUCKET=bucket_name,
               S3_ENDPOINT_URL=app.config["S3_ENDPOINT_URL"], EXPORT_BACKGROUND_ROWS="0",
               SMS_OUTBOX=app.config["SMS_OUTBOX"], GUNICORN_WORKERS="1", GUNICORN_THREADS="4",
               GUNICORN_ACCESSLOG="", FLASK_APP="run.py", **S3_SETTINGS,
               # the test app's keys: the instances read what it wrote (encrypted identifiers, #10)
               FIELD_ENCRYPTION_KEYS=app.config["FIELD_ENCRYPTION_KEYS"], FIELD_HMAC_KEY=app.config["FIELD_HMAC_KEY"])
    env.pop("JOB_INLINE", None)
    processes, bases = [], []
    try:
        for _ in range(2):
            port = free_port()
            processes.append(subprocess.Popen(
                [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "-b", f"127.0.0.1:{port}",
                 "run:app"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
            bases.append(f"http://127.0.0.1:{port}")
        processes.append(subprocess.Popen([str(BIN / "flask"), "worker"], cwd=ROOT, env=env,
                                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
        for base, process in zip(bases, processes):
            wait_until_up(base, process)

        browser = Alternating(bases)
        assert login(browser, APPLICANT_ID).status_code == 302
        fill(browser, app)                     # every page and upload, alternating instances
        decl = declaration_id(app)
        submitted = submit(browser)
        assert submitted.status_code == 302 and status_of(app, decl) == "unit_review"
        photo = re.search(r"/attachments/([0-9]+)", browser.get("/declaration/basic").get_data(as_text=True))
        assert browser.get(f"/attachments/{photo.group(1)}").data[:2] == b"\xff\xd8"   # a JPEG from the bucket

        reviewer = Alternating(bases)
        assert login(reviewer, "baili_hr").status_code == 302
        assert act(reviewer, decl, "approve", opinion="同意").status_code == 302
        assert status_of(app, decl) != "unit_review"

        office = Alternating(bases)
        assert login(office, "zcb").status_code == 302
        export = office.get("/review/export?tab=all")
        assert export.status_code == 302
        job_url = export.headers["Location"].replace(bases[0], "").replace(bases[1], "")
        state = poll(office, job_url)
        sheet = load_workbook(io.BytesIO(office.get(state["url"]).data)).active
        assert sheet["B2"].value == "张明"

        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"',
                          office.get("/review/?tab=all").get_data(as_text=True)).group(1)
        printed = office.post("/review/print-batch", data={"ids": str(decl), "csrf_token": token})
        state = poll(office, printed.headers["Location"].replace(bases[0], "").replace(bases[1], ""))
        names = zipfile.ZipFile(io.BytesIO(office.get(state["url"]).data)).namelist()
        assert names == [f"{decl:06d}_张明_评审表.pdf"]
        assert set(browser.served) == set(bases) and set(office.served) == set(bases)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def poll(client, job_url, seconds=90):
    deadline = time.time() + seconds
    while time.time() < deadline:
        state = client.get(job_url, headers={"Accept": "application/json"}).json
        if state["status"] in ("done", "failed"):
            assert state["status"] == "done", state
            return state
        time.sleep(0.5)
    pytest.fail(f"job {job_url} did not finish: {state}")
