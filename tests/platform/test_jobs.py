"""The job queue (#11): tasks run on RQ when a queue is configured and in
the process otherwise; tracked jobs never stay 运行中 after their worker
died — killed with -9 or stopped gracefully — and can be started again."""
import io
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import update

from app.platform import jobs
from app.platform.extensions import db
from models import ExportJob, clock
from tests.conftest import APPLICANT_ID, login, page_text
from tests.declaring import fill, submit

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def rq_queue(app, redis_url, monkeypatch):
    """A queue of this test run only, on the test Redis database."""
    import redis
    from rq import Queue

    name = f"test-{uuid.uuid4().hex[:10]}"
    monkeypatch.setitem(app.config, "JOB_REDIS_URL", redis_url)
    monkeypatch.setitem(app.config, "JOB_QUEUE", name)
    monkeypatch.setitem(app.config, "JOB_RETRY_DELAYS", [1])
    conn = redis.Redis.from_url(redis_url)
    queue = Queue(name, connection=conn)
    yield queue
    ids = set(queue.job_ids)
    for registry in (queue.started_job_registry, queue.failed_job_registry, queue.scheduled_job_registry,
                     queue.finished_job_registry, queue.deferred_job_registry):
        ids.update(registry.get_job_ids())
    doomed = [f"rq:job:{i}" for i in ids] + list(conn.scan_iter(f"*{name}*"))
    if doomed:
        conn.delete(*doomed)


def start_worker(app, queue, **env):
    environment = dict(os.environ, ENV="test", DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
                       INSTANCE_DIR=app.config["INSTANCE_DIR"], UPLOAD_DIR=app.config["UPLOAD_DIR"],
                       SMS_OUTBOX=app.config["SMS_OUTBOX"], JOB_REDIS_URL=app.config["JOB_REDIS_URL"],
                       JOB_QUEUE=queue.name, **env)
    environment.pop("REDIS_URL", None)
    return subprocess.Popen([sys.executable, str(Path(__file__).with_name("queue_worker.py"))], cwd=ROOT,
                            env=environment, start_new_session=True, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def job_row(app, job_id) -> ExportJob:
    with app.app_context():
        job = db.session.get(ExportJob, job_id)
        db.session.expunge(job)
        return job


def wait_for(predicate, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def export_started(app, client, monkeypatch):
    login(client, APPLICANT_ID)
    fill(client, app)
    submit(client)
    monkeypatch.setitem(app.config, "EXPORT_BACKGROUND_ROWS", 0)
    login(client, "zcb")
    response = client.get("/review/export?tab=all")
    assert response.status_code == 302
    url = response.headers["Location"]
    return url, int(url.rstrip("/").split("/")[-1])


def test_inline_mode_runs_at_once_and_a_failure_never_reaches_the_caller(app, ctx):
    calls = []

    @jobs.task("test.inline-ok")
    def ok(x):
        calls.append(x)
        return x * 2

    @jobs.task("test.inline-broken")
    def broken():
        raise RuntimeError("transient")

    assert jobs.enqueue("test.inline-ok", 21) == 42 and calls == [21]
    assert jobs.enqueue("test.inline-broken") is None
    with pytest.raises(KeyError):
        jobs.enqueue("test.no-such-task")


def test_each_job_has_its_own_g_and_session_like_a_request(app, ctx):
    """A worker runs job after job in one process: what one job keeps for its
    request (g: the dictionaries' version, the signed-in person) is not the next one's."""
    from flask import g

    from app.platform.extensions import db

    seen = []

    @jobs.task("test.own-context")
    def remember(mark):
        seen.append((getattr(g, "job_mark", None), db.session()))
        g.job_mark = mark

    g.job_mark = "caller"
    jobs.run_task("test.own-context", "first")
    jobs.run_task("test.own-context", "second")
    assert [mark for mark, _ in seen] == [None, None]
    assert g.job_mark == "caller"
    assert seen[0][1] is not db.session() and seen[1][1] is not db.session()


def test_enqueue_falls_back_in_process_when_the_queue_is_down(app, ctx, monkeypatch):
    monkeypatch.setitem(app.config, "JOB_REDIS_URL", "redis://127.0.0.1:1/0")
    calls = []
    jobs.task("test.fallback")(lambda: calls.append(1))
    started = time.monotonic()
    jobs.enqueue("test.fallback")
    assert calls == [1] and time.monotonic() - started < 2


def test_queue_mode_only_enqueues_and_the_worker_runs_it(app, client, rq_queue, export_started):
    url, job_id = export_started
    assert [j.description for j in rq_queue.jobs] == ["review.deliver-notifications", "reports.export-list"]
    assert job_row(app, job_id).status == "queued"
    state = client.get(url, headers={"Accept": "application/json"}).json
    assert state["status"] == "queued" and state["url"] is None
    worker = start_worker(app, rq_queue, BURST="1")
    assert worker.wait(timeout=90) == 0, worker.stdout.read()[-3000:]
    state = client.get(url, headers={"Accept": "application/json"}).json
    assert state["status"] == "done", state
    sheet = load_workbook(io.BytesIO(client.get(state["url"]).data)).active
    assert sheet["B2"].value == "张明"


def test_kill_9_during_an_export_requeues_it_and_it_completes(app, client, rq_queue, export_started, monkeypatch):
    url, job_id = export_started
    worker = start_worker(app, rq_queue, SLOW_EXPORT="60")
    try:
        assert wait_for(lambda: job_row(app, job_id).status == "running"), "the worker never started the job"
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    assert job_row(app, job_id).status == "running"      # what the issue found: stuck for ever …
    monkeypatch.setitem(app.config, "JOB_STALE_SECONDS", 1)
    time.sleep(1.2)
    state = client.get(url, headers={"Accept": "application/json"}).json   # … until somebody looks
    assert state["status"] == "queued" and job_row(app, job_id).attempt == 2
    again = start_worker(app, rq_queue, BURST="1")
    assert again.wait(timeout=90) == 0, again.stdout.read()[-3000:]
    state = client.get(url, headers={"Accept": "application/json"}).json
    assert state["status"] == "done" and client.get(state["url"]).status_code == 200


def test_graceful_stop_during_an_export_lets_it_finish(app, client, rq_queue, export_started):
    url, job_id = export_started
    worker = start_worker(app, rq_queue, SLOW_EXPORT="3")
    try:
        assert wait_for(lambda: job_row(app, job_id).status == "running")
        os.killpg(worker.pid, signal.SIGTERM)   # what a deploy's graceful reload sends
        assert worker.wait(timeout=60) == 0
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
    assert job_row(app, job_id).status == "done"


def test_a_dead_job_out_of_attempts_is_failed_with_a_message_and_can_be_started_again(app, client,
                                                                                      export_started, monkeypatch):
    url, job_id = export_started
    with app.app_context():   # as a worker leaves it when it is killed
        db.session.execute(update(ExportJob).where(ExportJob.id == job_id).values(
            status="running", attempt=3, storage_key=None, heartbeat_at=clock.now() - timedelta(hours=1)))
        db.session.commit()
    page = page_text(client.get(url))
    assert jobs.INTERRUPTED in page and "重新开始" in page
    from tests.conftest import csrf_token
    again = client.post(f"{url}/again", data={"csrf_token": csrf_token(client, url)})
    assert again.status_code == 302 and again.headers["Location"] != url
    state = client.get(again.headers["Location"], headers={"Accept": "application/json"}).json
    assert state["status"] == "done"
    other = app.test_client()
    login(other, "baili_hr")
    assert other.post(f"{url}/again", data={}).status_code in (400, 404)


def test_a_superseded_attempt_does_not_overwrite_the_new_one(app, client, export_started):
    url, job_id = export_started
    with app.app_context():
        assert jobs.claim(job_id, 1) is None      # inline mode already finished attempt 1
        db.session.execute(update(ExportJob).where(ExportJob.id == job_id).values(status="running", attempt=2))
        db.session.commit()
        with pytest.raises(jobs.Superseded):
            jobs.heartbeat(job_id, 1, 10)
        assert not jobs.finish(job_id, 1, status="done")


def test_periodic_tasks_are_enqueued_once_per_interval_whatever_the_number_of_workers(app, rq_queue):
    import redis
    conn = redis.Redis.from_url(app.config["JOB_REDIS_URL"])
    for name in jobs.PERIODIC:
        conn.delete(f"zc:periodic:{name}")
    try:
        first = jobs.due_periodic(app)
        second = jobs.due_periodic(app)      # another worker, a moment later
        assert set(first) == set(jobs.PERIODIC) and "jobs.recover-stale" in first and second == []
        assert sorted(j.description for j in rq_queue.jobs) == sorted(first)
    finally:
        for name in jobs.PERIODIC:
            conn.delete(f"zc:periodic:{name}")
