"""SMS leaves the request path (#11): the page only enqueues; a down
gateway never fails registration; the queue retries the same text and a
message already sent is never sent twice."""
import socket

from app.platform import sms
from app.platform.jobs import run_task
from tests.conftest import outbox
from tests.platform.test_jobs import rq_queue  # noqa: F401 (fixture)
from tests.accounts.test_registration import NEW_PHONE, agree, send_code


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_down_gateway_never_fails_the_registration_page(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_BACKEND", "http")
    monkeypatch.setitem(app.config, "SMS_HTTP_URL", f"http://127.0.0.1:{closed_port()}/send")
    agree(client)
    response = send_code(client)
    assert response.status_code == 200 and response.json["ok"], response.json


def test_the_request_only_enqueues_and_the_worker_sends_once(app, client, rq_queue):  # noqa: F811
    from rq import SimpleWorker

    agree(client)
    assert send_code(client).json["ok"]
    assert outbox(app) == []                       # nothing sent inside the request
    [job] = rq_queue.jobs
    assert job.description == sms.SEND_TASK and job.retries_left == 4
    with app.app_context():
        SimpleWorker([rq_queue], connection=rq_queue.connection).work(burst=True)
    assert [m["phone"] for m in outbox(app)] == [NEW_PHONE]
    with app.app_context():   # the same job again (a worker died after sending): no second message
        run_task(*job.args)
    assert len(outbox(app)) == 1


def test_a_failing_gateway_is_retried_with_the_same_text(app, client, rq_queue, monkeypatch):  # noqa: F811
    from rq import SimpleWorker

    monkeypatch.setitem(app.config, "SMS_BACKEND", "http")
    monkeypatch.setitem(app.config, "SMS_HTTP_URL", f"http://127.0.0.1:{closed_port()}/send")
    agree(client)
    assert send_code(client).json["ok"]
    [job] = rq_queue.jobs
    with app.app_context():
        SimpleWorker([rq_queue], connection=rq_queue.connection).work(burst=True)
    job.refresh()
    assert job.get_status() == "scheduled" and job.retries_left == 3
    assert rq_queue.scheduled_job_registry.get_job_ids() == [job.id]
    monkeypatch.setitem(app.config, "SMS_BACKEND", "console")   # the gateway is back
    with app.app_context():
        run_task(*job.args)
    [message] = outbox(app)
    assert message["text"] == app.config["SMS_SIGNATURE"] + job.args[2] and "验证码为" in job.args[2]


def test_an_expired_text_is_not_sent(app, ctx):
    sms.send_task("13800000001", "您的验证码为123456", "m1", 0)
    assert outbox(app) == []
