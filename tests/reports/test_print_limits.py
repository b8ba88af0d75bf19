"""Every printout counts against the person's print limit, whichever way it
is asked for: a batch counts each of its declarations (each once, however
often it was ticked), and runs on the bulk lane, never ahead of SMS codes;
the certificate and the 表决结果 are kept by version and rendered on the job
worker like the other printouts."""
import pytest
from sqlalchemy import select

import reports.pdf
from app.platform import jobs
from app.platform.extensions import db
from app.platform.sms import SEND_TASK
from models import ExportJob
from reports.exports import PRINT_TASK
from tests.conftest import csrf_token, login
from tests.declaring import submit
from tests.platform.test_jobs import rq_queue  # noqa: F401 (fixture)
from tests.platform.test_public_address import certified  # noqa: F401 (fixture)


@pytest.fixture
def office(app, client, declared):
    """The title office signed in, 张明's declaration submitted (its id)."""
    submit(client)
    login(client, "zcb")
    return declared


def batch(client, ids):
    token = csrf_token(client, "/review/?tab=all")
    return client.post("/review/print-batch", data={"ids": [str(i) for i in ids], "csrf_token": token},
                       follow_redirects=True)


def jobs_started(app) -> list[ExportJob]:
    with app.app_context():
        return db.session.scalars(select(ExportJob).where(ExportJob.kind == "printout")).all()


def test_repeating_a_batch_of_one_declaration_reaches_the_print_limit(app, client, office, renders, monkeypatch):
    monkeypatch.setitem(app.config, "PRINT_RATE_LIMIT", "3 per minute")
    first = batch(client, [office] * 24)                      # ticked 24 times: printed, and counted, once
    assert first.status_code == 200 and "打印过于频繁" not in first.get_data(as_text=True)
    [job] = jobs_started(app)
    assert job.total == 1 and job.status == "done"
    for _ in range(2):
        assert "打印过于频繁" not in batch(client, [office]).get_data(as_text=True)
    refused = batch(client, [office])
    assert "打印过于频繁" in refused.get_data(as_text=True)
    assert len(jobs_started(app)) == 3
    # the same limit as single printouts: used up by the batches
    assert client.get(f"/print/{office}/summary.pdf").status_code == 429
    # an unchanged declaration is rendered once, however many batches print it
    assert len(renders) == 1


def test_a_batch_larger_than_the_limit_allows_at_once_is_refused(app, client, office, monkeypatch):
    monkeypatch.setattr("reports.exports.most_in_one_go", lambda: 0)
    refused = batch(client, [office])
    assert "一次最多批量打印0份申报" in refused.get_data(as_text=True)
    assert jobs_started(app) == []


def test_batches_never_share_the_lane_of_sms_codes(app, client, office, rq_queue):  # noqa: F811
    assert jobs.LANE_OF[PRINT_TASK] == "bulk" != jobs.LANE_OF[SEND_TASK]
    assert jobs.LANES.index("main") < jobs.LANES.index("bulk")    # a worker takes SMS codes first
    token = csrf_token(client, "/review/?tab=all")
    response = client.post("/review/print-batch", data={"ids": [str(office)], "csrf_token": token})
    assert response.status_code == 302
    with app.app_context():
        bulk = jobs.queue("bulk")
        assert [j.description for j in bulk.jobs] == [PRINT_TASK]
        assert PRINT_TASK not in [j.description for j in rq_queue.jobs]        # the main lane: SMS
        bulk.empty()


def test_the_certificate_is_kept_by_version_and_counted(app, client, certified, renders, monkeypatch):  # noqa: F811
    own, number = certified
    login(client, "zcb")
    monkeypatch.setitem(app.config, "PRINT_RATE_LIMIT", "1 per minute")
    first = client.get(f"/certificate/{own}.pdf")
    second = client.get(f"/certificate/{own}.pdf")
    assert first.status_code == second.status_code == 200 and first.data == second.data
    assert first.data.startswith(b"%PDF") and len(renders) == 1    # unchanged: kept, not rendered (or counted) again
    refused = client.get(f"/print/{own}/summary.pdf")              # the certificate's render used the limit
    assert refused.status_code == 429 and "打印过于频繁" in refused.get_data(as_text=True)
    assert len(renders) == 1


def test_the_certificate_is_rendered_on_the_job_worker(app, client, certified, rq_queue, monkeypatch):  # noqa: F811
    own, number = certified
    login(client, "zcb")

    def forbidden(html, font):
        raise AssertionError("the web process rendered the certificate")
    monkeypatch.setattr(reports.pdf, "_render", forbidden)
    monkeypatch.setitem(app.config, "PRINT_WAIT_SECONDS", 0.3)
    response = client.get(f"/certificate/{own}.pdf")              # no worker runs: the request waits, then says so
    assert response.status_code == 503 and "仍在生成中" in response.get_data(as_text=True)
    with app.app_context():
        lane = jobs.queue("print")
        assert [j.description for j in lane.jobs] == [reports.pdf.RENDER_TASK]
        lane.empty()
