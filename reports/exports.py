"""List exports (P5) and batch printouts. A small export is written in the
request; one of more than EXPORT_BACKGROUND_ROWS rows, and every batch of
评审表 PDFs, is a tracked job on the queue (app/platform/jobs.py): progress
and heartbeat in its `ExportJob` row, the file in the storage, re-queued or
failed with a message when its worker dies."""
from __future__ import annotations

import io
import json
import logging
import uuid
import zipfile

from sqlalchemy import select

from app.platform import jobs
from app.platform.extensions import db
from app.platform.storage import storage
from app.review.lists import export_query  # the list's own conditions
from app.review.sheets import list_rows_for_export
from models import Account, Declaration, ExportJob, clock
from permissions.roles import FULL_IDENTIFIER_ROLES
from permissions.scopes import visible_declarations
from reports.content import print_context
from reports.pdf import TOO_MANY, kept_or_rendered, most_in_one_go, within_print_limit
from reports.workbooks import write_rows

log = logging.getLogger(__name__)
EXPORT_TASK, PRINT_TASK = "reports.export-list", "reports.print-batch"
jobs.TRACKED_TASKS.update({"export": EXPORT_TASK, "printout": PRINT_TASK})
MIMETYPES = {"export": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             "printout": "application/zip"}


def sees_full_identifiers(user) -> bool:
    return bool(user.role_names & set(FULL_IDENTIFIER_ROLES))


def export_now(user, rows) -> bytes:
    return write_rows(list_rows_for_export(rows, sees_full_identifiers(user)), "申报列表")


def start_job(user, criteria: dict, total: int) -> ExportJob:
    return jobs.start_tracked(EXPORT_TASK, user.id, "export", json.dumps(criteria, ensure_ascii=False), total)


class BatchRefused(Exception):
    """The batch is not started; the message says why."""


def start_batch_print(user, declaration_ids: list[int]) -> ExportJob:
    """评审表 PDFs of these declarations in one zip (e.g. a committee's meeting).
    Only those the user may see are printed, each once however often it was
    ticked; the check is made again when the job runs, so a later change of
    scope is honoured. Each declaration counts against the person's print
    limit, as if printed alone."""
    ids = sorted({int(i) for i in declaration_ids})
    visible = db.session.scalars(select(Declaration.id).where(Declaration.id.in_(ids),
                                                              visible_declarations(user))).all()
    if len(visible) > most_in_one_go():
        raise BatchRefused(f"一次最多批量打印{most_in_one_go()}份申报，请分批打印")
    if visible and not within_print_limit(user.id, len(visible)):
        raise BatchRefused(TOO_MANY)
    return jobs.start_tracked(PRINT_TASK, user.id, "printout", json.dumps({"ids": sorted(visible)}), len(visible))


@jobs.task(EXPORT_TASK)
def run_export(job_id: int, attempt: int) -> None:
    def make(job, user, criteria):
        rows = db.session.execute(export_query(user, criteria["filters"], criteria["search"])
                                  .execution_options(yield_per=2000))
        return write_rows(list_rows_for_export(rows, sees_full_identifiers(user)), "申报列表",
                          on_progress=lambda n: jobs.heartbeat(job_id, attempt, n)), "xlsx", "申报列表"
    run_tracked(job_id, attempt, make)


# Batches take the bulk lane: never ahead of SMS codes (main) or of a printout a person waits for (print).
@jobs.task(PRINT_TASK, lane="bulk")
def run_batch_print(job_id: int, attempt: int) -> None:
    def make(job, user, criteria):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            declarations = db.session.scalars(select(Declaration).where(
                Declaration.id.in_(criteria["ids"]), visible_declarations(user)).order_by(Declaration.id)).all()
            for n, declaration in enumerate(declarations, 1):
                context = print_context(declaration)
                if context is not None:
                    zf.writestr(f"{declaration.id:06d}_{context['h']['name']}_评审表.pdf",
                                kept_or_rendered(declaration.id, "reports/review_form.html", **context))
                jobs.heartbeat(job_id, attempt, n)
        return buf.getvalue(), "zip", "评审表"
    run_tracked(job_id, attempt, make)


def run_tracked(job_id: int, attempt: int, make) -> None:
    """Run `make(job, user, criteria)` → (data, suffix, title[, note]) as the
    tracked job: the file (none when data is None) into the storage, the row
    done; `note` is a line the job's page shows beside the result."""
    job = jobs.claim(job_id, attempt)
    if job is None:
        return  # done, failed, or superseded by a later attempt
    key = None
    try:
        user = db.session.get(Account, job.account_id)
        data, suffix, title, *note = make(job, user, json.loads(job.criteria))
        values = {"status": "done", "done": job.total, "error": note[0] if note else None}
        if data is not None:
            key = f"{uuid.uuid4().hex}.{suffix}"
            storage().save(key, data)
            values.update(storage_key=key, filename=f"{title}_{clock.now():%Y%m%d%H%M}.{suffix}")
        # The row names the file only after the file is whole; a lost race
        # (superseded attempt) removes it again.
        if not jobs.finish(job_id, attempt, **values) and key:
            storage().delete(key)
    except jobs.Superseded:
        log.info("Job %s attempt %s was superseded", job_id, attempt)
    except Exception:
        log.exception("Job %s attempt %s failed", job_id, attempt)
        db.session.rollback()
        if key:
            storage().delete(key)
        if jobs.fail_or_retry(job_id, attempt):
            raise  # the queue tries again after its back-off
