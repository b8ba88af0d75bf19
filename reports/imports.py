"""The committee's 答辩安排 import, from the upload to the result. The file
is read within the import caps (app/platform/xlsx_reader.py); a sheet of up
to IMPORT_BACKGROUND_ROWS rows is imported in the request, a larger one (up
to IMPORT_MAX_ROWS) by the job worker as a tracked job with progress, so no
request outlives the worker timeout. The page lists the first ERRORS_SHOWN
problems; all of them are in an Excel sheet to download (a page of 12,000
errors weighed a megabyte)."""
from __future__ import annotations

import itertools
import json
import uuid
from dataclasses import dataclass, field

from flask import current_app

from app.platform import jobs
from app.platform.extensions import db
from app.platform.storage import StorageError, storage
from app.platform.xlsx_reader import SheetRefused, read_table
from app.review.sheets import import_defence_rows, read_defence_sheet
from models import ExportJob, clock
from reports.exports import MIMETYPES, run_tracked
from reports.workbooks import write_rows

IMPORT_TASK = "reports.import-defence"
jobs.TRACKED_TASKS["import"] = IMPORT_TASK
MIMETYPES["import"] = MIMETYPES["export"]
ERRORS_SHOWN = 100
REPORT_HEADERS = ["序号", "问题"]
REPORT_TITLE = "答辩安排导入问题"


@dataclass
class Outcome:
    imported: int | None = None
    errors: list[str] = field(default_factory=list)   # the first ERRORS_SHOWN
    error_count: int = 0
    report: ExportJob | None = None                    # all the errors, as a sheet to download
    job: ExportJob | None = None                       # the import, started on the job worker


def import_defence(user, raw: bytes) -> Outcome:
    """Import now, or start the job; raises SheetRefused for a file not read."""
    rows = read_defence_sheet(raw)
    if len(rows) > current_app.config.get("IMPORT_BACKGROUND_ROWS", 1000):
        key = f"{uuid.uuid4().hex}.xlsx"
        storage().save(key, raw)
        job = jobs.start_tracked(IMPORT_TASK, user.id, "import", json.dumps({"upload": key}), len(rows))
        return Outcome(job=job)
    errors, imported = import_defence_rows(rows, user)
    if not errors:
        return Outcome(imported=imported)
    report = None
    if len(errors) > ERRORS_SHOWN:
        report = _report_job(user, errors)
    return Outcome(errors=errors[:ERRORS_SHOWN], error_count=len(errors), report=report)


def result_of(job: ExportJob) -> Outcome:
    """What a finished import job found: its first errors are read back from its sheet."""
    if job.status != "done":
        return Outcome()
    if not job.storage_key:
        return Outcome(imported=job.total)
    try:
        rows = read_table(storage().read(job.storage_key), REPORT_HEADERS, REPORT_HEADERS)
        errors = [str(values["问题"] or "") for _, values in itertools.islice(rows, ERRORS_SHOWN)]
    except (SheetRefused, StorageError):
        errors = []
    return Outcome(errors=errors, error_count=_count(job.error), report=job)


def _count(note: str | None) -> int:
    digits = "".join(itertools.takewhile(str.isdigit, (note or "").removeprefix("共")))
    return int(digits) if digits else 0


def _note(errors: list[str]) -> str:
    return f"共{len(errors)}处问题，未导入"


def _report(errors: list[str]) -> bytes:
    return write_rows([REPORT_HEADERS, *([n, e] for n, e in enumerate(errors, 1))], REPORT_TITLE)


def _report_job(user, errors: list[str]) -> ExportJob:
    """The sheet of all errors of an import made in the request, kept as a
    finished job so that its owner (only) downloads it like any export."""
    key = f"{uuid.uuid4().hex}.xlsx"
    storage().save(key, _report(errors))
    now = clock.now()
    job = ExportJob(account_id=user.id, kind="import", criteria="{}", status="done", total=len(errors),
                    done=len(errors), storage_key=key, error=_note(errors), heartbeat_at=now, finished_at=now,
                    filename=f"{REPORT_TITLE}_{now:%Y%m%d%H%M}.xlsx")
    db.session.add(job)
    db.session.commit()
    return job


@jobs.task(IMPORT_TASK)
def run_import(job_id: int, attempt: int) -> None:
    upload = None

    def make(job, user, criteria):
        nonlocal upload
        upload = criteria["upload"]
        try:
            rows = read_defence_sheet(storage().read(upload))
        except SheetRefused as exc:   # checked before the job started; the caps may have changed since
            errors = [str(exc)]
        else:
            errors, _imported = import_defence_rows(rows, user, lambda n: jobs.heartbeat(job_id, attempt, n))
        if errors:
            return _report(errors), "xlsx", REPORT_TITLE, _note(errors)
        return None, "", ""

    run_tracked(job_id, attempt, make)
    # The upload holds ID numbers: gone once the job is over (a job that dies
    # for good leaves it to the storage sweep).
    db.session.expire_all()
    job = db.session.get(ExportJob, job_id)
    if upload and job is not None and job.status in ("done", "failed"):
        storage().delete(upload)
