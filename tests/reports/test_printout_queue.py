"""With a job queue, a printout is rendered by the job worker's print lane,
never by the web process that asked (#10 item 10): the request waits for the
file, and past PRINT_WAIT_SECONDS asks the person to try again."""
import time

import pytest

import reports.pdf
from app.platform import jobs
from app.platform.kvstore import kv
from tests.conftest import APPLICANT_ID
from tests.platform.test_jobs import rq_queue, start_worker, wait_for  # noqa: F401 (fixture)


@pytest.fixture
def no_render_here(monkeypatch):
    """Rendering in this (the web) process fails the test."""
    def forbidden(html, font):
        raise AssertionError("the web process rendered a printout")
    monkeypatch.setattr(reports.pdf, "_render", forbidden)


def print_lane(app):
    with app.app_context():
        return jobs.queue("print")


def test_the_worker_renders_and_the_request_waits_for_its_file(app, client, declared, rq_queue, no_render_here):
    worker = start_worker(app, rq_queue)
    try:
        response = client.get(f"/print/{declared}/summary.pdf")
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
        assert response.data.startswith(b"%PDF") and b"%%EOF" in response.data[-64:]
        again = client.get(f"/print/{declared}/review.pdf")           # another form: another job
        assert again.status_code == 200 and again.data.startswith(b"%PDF")
        assert client.get(f"/print/{declared}/summary.pdf").data == response.data   # kept: no job at all
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert len(rq_queue) == 0 and len(print_lane(app)) == 0


def test_without_a_worker_the_person_is_asked_to_try_again_and_nothing_is_queued_twice(
        app, client, declared, rq_queue, no_render_here, monkeypatch):
    monkeypatch.setitem(app.config, "PRINT_WAIT_SECONDS", 0.5)
    started = time.monotonic()
    first = client.get(f"/print/{declared}/summary.pdf")
    assert first.status_code == 503 and "仍在生成中" in first.get_data(as_text=True)
    assert time.monotonic() - started < 5
    second = client.get(f"/print/{declared}/summary.pdf")       # their render is still queued: refused at once
    assert second.status_code == 429 and "正在生成" in second.get_data(as_text=True)
    lane = print_lane(app)
    assert [j.description for j in lane.jobs] == [reports.pdf.RENDER_TASK]
    worker = start_worker(app, rq_queue, BURST="1")
    assert worker.wait(timeout=120) == 0, worker.stdout.read()[-3000:]
    done = client.get(f"/print/{declared}/summary.pdf")
    assert done.status_code == 200 and done.data.startswith(b"%PDF")


def test_another_printout_of_the_same_person_waits_for_the_running_one(
        app, client, declared, rq_queue, no_render_here, monkeypatch):
    monkeypatch.setitem(app.config, "PRINT_WAIT_SECONDS", 0.3)
    assert client.get(f"/print/{declared}/summary.pdf").status_code == 503    # queued, not yet rendered
    busy = client.get(f"/print/{declared}/review.pdf")
    assert busy.status_code == 429 and "正在生成" in busy.get_data(as_text=True)
    assert len(print_lane(app)) == 1


def test_a_failed_render_is_an_error_page_and_frees_the_person(app, client, declared, monkeypatch):
    def broken(html, font):
        raise reports.pdf.PdfError("font unreadable")
    monkeypatch.setattr(reports.pdf, "_render", broken)
    failed = client.get(f"/print/{declared}/summary.pdf")
    assert failed.status_code == 500 and b"%PDF" not in failed.data
    monkeypatch.undo()
    assert client.get(f"/print/{declared}/summary.pdf").status_code == 200


def test_the_worker_serves_the_print_lane_first(app, rq_queue):
    """An export queued earlier does not hold up a printout queued later."""
    from rq import SimpleWorker

    order = []
    jobs.task("test.long-export")(lambda: order.append("export"))
    jobs.task("test.printout", lane="print")(lambda: order.append("print"))
    with app.app_context():
        jobs.enqueue("test.long-export")
        jobs.enqueue("test.printout")
        lanes = [jobs.queue(lane) for lane in jobs.LANES]
        jobs._WORKER_APP = app
        SimpleWorker(lanes, connection=lanes[0].connection).work(burst=True)
    assert order == ["print", "export"]
    with pytest.raises(ValueError):
        jobs.task("test.nowhere", lane="fast")


def test_someone_else_asking_for_the_same_printout_waits_for_the_same_render(
        app, client, declared, rq_queue, no_render_here, monkeypatch):
    from tests.conftest import login as sign_in
    from tests.declaring import submit
    submit(client)
    monkeypatch.setitem(app.config, "PRINT_WAIT_SECONDS", 0.3)
    assert client.get(f"/print/{declared}/review.pdf").status_code == 503
    reviewer = app.test_client()
    sign_in(reviewer, "baili_hr")
    assert reviewer.get(f"/print/{declared}/review.pdf").status_code == 503    # waited for the applicant's
    assert len(print_lane(app)) == 1                                            # one render, not two
    worker = start_worker(app, rq_queue, BURST="1")
    assert worker.wait(timeout=120) == 0, worker.stdout.read()[-3000:]
    mine, theirs = client.get(f"/print/{declared}/review.pdf"), reviewer.get(f"/print/{declared}/review.pdf")
    assert mine.status_code == theirs.status_code == 200 and mine.data == theirs.data


def test_a_render_left_by_a_dead_worker_expires(app, client, declared, rq_queue, monkeypatch):
    """The pending mark and the person's lock have a lifetime: a worker killed
    mid-render does not block that printout for ever."""
    monkeypatch.setitem(app.config, "PRINT_WAIT_SECONDS", 0.2)
    monkeypatch.setattr(reports.pdf, "RENDER_LOCK_SECONDS", 1)
    assert client.get(f"/print/{declared}/summary.pdf").status_code == 503
    print_lane(app).empty()                                     # the job is lost with its worker
    with app.app_context():
        assert wait_for(lambda: not kv().get("print-lock:%d" % owner_id(app)), seconds=5)
    monkeypatch.setitem(app.config, "JOB_INLINE", True)         # now rendered here again
    assert client.get(f"/print/{declared}/summary.pdf").status_code == 200


def owner_id(app):
    from sqlalchemy import select

    from app.platform.extensions import db
    from models import Account
    with app.app_context():
        return db.session.scalar(select(Account.id).where(Account.id_number_is(APPLICANT_ID)))


def test_the_worker_loads_the_renderer_and_the_font_before_forking(app, ctx):
    """`flask worker` warms up once, so each job's forked work horse renders
    at once instead of importing xhtml2pdf and parsing the CJK font again."""
    from reportlab.pdfbase import pdfmetrics

    reports.pdf.warm_up()
    assert any(name.startswith("cjk") for name in pdfmetrics.getRegisteredFontNames())


def test_the_worker_command_refuses_an_unknown_lane(app, redis_url, monkeypatch):
    monkeypatch.setitem(app.config, "JOB_REDIS_URL", redis_url)
    result = app.test_cli_runner().invoke(args=["worker", "--lanes", "print,fast", "--burst"])
    assert result.exit_code != 0 and "--lanes" in result.output
