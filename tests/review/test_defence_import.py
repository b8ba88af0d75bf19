"""The 答辩安排 import under attack: a sheet that claims the whole grid, one
past the row cap, a zip bomb, a file that is no spreadsheet, thousands of
errors, a large sheet (on the job worker, with progress), the wrong role and
a POST without its CSRF token."""
from __future__ import annotations

import io
import json
import tracemalloc

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.platform.extensions import db
from app.platform.storage import storage
from models import DefenceArrangement, ExportJob
from models.audit import AuditEvent
from tests.conftest import APPLICANT_ID, csrf_token, login, page_text
from tests.declaring import act
from tests.platform.test_jobs import rq_queue  # noqa: F401  (the queue fixture)
from tests.workbooks import DEFENCE_HEADER, inflating, many_entries, redimension, workbook

GOOD = [APPLICANT_ID, "2026-12-10 09:00", "天津市人社局301会议室", "第一组", ""]


@pytest.fixture
def received(app, client, submitted):
    """张明's declaration received by the engineering committee; gc_pwh signed in."""
    for username, action in (("baili_hr", "approve"), ("gxj_zc", "approve"), ("gc_pwh", "receive")):
        login(client, username)
        assert act(client, submitted, action, opinion="同意").status_code == 302
    return submitted


def upload(client, data: bytes, name: str = "答辩安排.xlsx", token: bool = True):
    form = {"sheet": (io.BytesIO(data), name)}
    if token:
        form["csrf_token"] = csrf_token(client, "/review/defence")
    return client.post("/review/defence", data=form, content_type="multipart/form-data")


def arrangements(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(DefenceArrangement.id)))


def audit_rows(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_a_sheet_claiming_a1_to_xfd1048576_imports_in_bounded_memory(app, client, received):
    """17 KB that state the whole grid: openpyxl's read-only sheet padded each of
    its 3,000 rows to 16,384 cells (hundreds of megabytes); now a few megabytes."""
    rows = [DEFENCE_HEADER, GOOD, *([" ", None, None, None, "　"] for _ in range(3000))]
    data = redimension(workbook(rows))
    assert len(data) < 40_000
    token = csrf_token(client, "/review/defence")
    tracemalloc.start()
    try:
        response = client.post("/review/defence", data={"csrf_token": token, "sheet": (io.BytesIO(data), "a.xlsx")},
                               content_type="multipart/form-data")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert response.status_code == 302, page_text(response)[-2000:]
    assert peak < 50 * 1024 * 1024, f"peak {peak / 1e6:.0f} MB"
    assert arrangements(app) == 1
    assert "已导入1条答辩安排" in page_text(client.get("/review/defence"))
    row, = audit_rows(app, "defence.import")
    assert row.actor == "gc_pwh" and '"rows": 1' in row.after


def test_the_row_cap_is_stated_and_enforced(app, client, received):
    cap = app.config["IMPORT_MAX_ROWS"]
    assert f"每个文件最多{cap}行" in page_text(client.get("/review/defence"))
    response = upload(client, workbook([DEFENCE_HEADER, *([APPLICANT_ID, "t", "p", "", ""] for _ in range(cap + 1))]))
    assert response.status_code == 400
    assert f"表格最多{cap}行（不含第1行标题）" in page_text(response)
    assert arrangements(app) == 0


def test_more_than_100_errors_show_100_and_offer_all_as_a_sheet(app, client, received):
    bad = [[f"1201011990030700{n:02d}", "", "地点", "", ""] for n in range(99)]
    bad += [["12345", "t", "p", "", ""] for _ in range(51)]
    response = upload(client, workbook([DEFENCE_HEADER, GOOD, *bad]))
    html = page_text(response)
    assert response.status_code == 400 and "共150处问题，以下为前100处" in html
    assert html.count("<li>第") == 100 and len(html) < 60_000
    assert arrangements(app) == 0
    with app.app_context():
        job = db.session.scalar(select(ExportJob).where(ExportJob.kind == "import"))
    link = f"/review/export/{job.id}/download"
    assert link in html
    sheet = load_workbook(io.BytesIO(client.get(link).data)).active
    values = [row for row in sheet.iter_rows(values_only=True)]
    assert values[0] == ("序号", "问题") and len(values) == 151 and values[150][1].startswith("第152行")
    login(client, "ws_pwh")   # another committee's secretary
    assert client.get(link).status_code == 404


def test_a_zip_bomb_and_too_many_entries_are_refused(app, client, received):
    bomb = inflating(workbook([DEFENCE_HEADER, GOOD]), megabytes=20)
    assert len(bomb) < 100_000
    for data in (bomb, many_entries(workbook([DEFENCE_HEADER, GOOD]), 1500)):
        response = upload(client, data)
        assert response.status_code == 400 and "文件内容超出导入范围" in page_text(response)
    assert arrangements(app) == 0


def test_what_is_not_an_xlsx_file_gets_a_message(app, client, received):
    for data, message in ((b"%PDF-1.7 not a sheet", "文件不是有效的Excel（.xlsx）文件"),
                          (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1000, "可能是旧版.xls"),
                          (b"x" * (10 * 1024 * 1024 + 10), "文件不能超过10MB")):
        response = upload(client, data, "a.xls")
        assert response.status_code == 400 and message in page_text(response)
    response = upload(client, workbook([["姓名", "答辩地点"], ["张明", "301"]]))
    assert "第1行缺少列：身份证号、答辩时间" in page_text(response)


def test_wrong_role_and_forged_post_are_refused(app, client, received):
    data = workbook([DEFENCE_HEADER, GOOD])
    response = upload(client, data, token=False)
    assert response.status_code == 400 and arrangements(app) == 0
    login(client, "baili_hr")
    token = csrf_token(client, "/review/")
    response = client.post("/review/defence", data={"csrf_token": token, "sheet": (io.BytesIO(data), "a.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 403 and arrangements(app) == 0
    assert not audit_rows(app, "defence.import")


def test_a_large_sheet_is_imported_by_the_job_worker_with_progress(app, client, received, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_BACKGROUND_ROWS", 1)
    response = upload(client, workbook([DEFENCE_HEADER, GOOD, ["12345", "t", "p", "", ""]]))
    assert response.status_code == 302 and "/review/defence/job/" in response.location
    html = page_text(client.get(response.location))   # no queue here: the job ran at once
    assert "共1处问题" not in html and "第3行" in html and "下载问题清单" in html
    assert arrangements(app) == 0
    monkeypatch.setitem(app.config, "IMPORT_BACKGROUND_ROWS", 0)
    response = upload(client, workbook([DEFENCE_HEADER, GOOD]))
    job_id = int(response.location.rsplit("/", 1)[1])
    html = page_text(client.get(f"/review/defence/job/{job_id}"))
    assert "已导入1条答辩安排" in html and arrangements(app) == 1
    assert len(audit_rows(app, "defence.import")) == 1
    with app.app_context():
        upload_key = json.loads(db.session.get(ExportJob, job_id).criteria)["upload"]
        assert upload_key not in {key for key, _ in storage().keys()}    # the upload is gone
    login(client, "ws_pwh")
    assert client.get(f"/review/defence/job/{job_id}").status_code == 404


def test_on_the_queue_the_page_shows_progress_until_the_worker_is_done(app, client, received, rq_queue,
                                                                        monkeypatch):
    from reports.imports import run_import

    monkeypatch.setitem(app.config, "IMPORT_BACKGROUND_ROWS", 0)
    response = upload(client, workbook([DEFENCE_HEADER, GOOD]))
    job_id = int(response.location.rsplit("/", 1)[1])
    html = page_text(client.get(response.location))
    assert 'id="export-progress"' in html and "正在后台检查并导入" in html and arrangements(app) == 0
    assert len(rq_queue) == 1
    progress = client.get(f"/review/export/{job_id}", headers={"Accept": "application/json"}).get_json()
    assert progress["status"] == "queued" and progress["total"] == 1
    with app.app_context(), app.test_request_context("/"):
        run_import(job_id, 1)     # what the worker runs
    assert "已导入1条答辩安排" in page_text(client.get(response.location)) and arrangements(app) == 1
