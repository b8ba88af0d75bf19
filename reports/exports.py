"""List exports (P5): small ones are written in the request; one of more than
EXPORT_BACKGROUND_ROWS rows runs as a background job with a progress bar and
a download link, never against the worker's request timeout."""
from __future__ import annotations

import json
import logging
import threading
import uuid
from datetime import datetime

from flask import current_app
from sqlalchemy import update

from app.platform.extensions import db
from app.platform.storage import storage
from app.review.lists import export_query  # the list's own conditions
from app.review.sheets import list_rows_for_export
from models import Account, ExportJob
from permissions.roles import FULL_IDENTIFIER_ROLES
from reports.workbooks import write_rows

log = logging.getLogger(__name__)


def sees_full_identifiers(user) -> bool:
    return bool(user.role_names & set(FULL_IDENTIFIER_ROLES))


def export_now(user, rows) -> bytes:
    return write_rows(list_rows_for_export(rows, sees_full_identifiers(user)), "申报列表")


def start_job(user, criteria: dict, total: int) -> ExportJob:
    job = ExportJob(account_id=user.id, criteria=json.dumps(criteria, ensure_ascii=False), total=total)
    db.session.add(job)
    db.session.commit()
    app = current_app._get_current_object()
    threading.Thread(target=_run, args=(app, job.id), daemon=True, name=f"export-{job.id}").start()
    return job


def _run(app, job_id: int) -> None:

    with app.app_context():
        job = db.session.get(ExportJob, job_id)
        try:
            job.status = "running"
            db.session.commit()
            user = db.session.get(Account, job.account_id)
            criteria = json.loads(job.criteria)
            rows = db.session.execute(export_query(user, criteria["filters"], criteria["search"])
                                      .execution_options(yield_per=2000))
            data = write_rows(list_rows_for_export(rows, sees_full_identifiers(user)), "申报列表",
                              on_progress=lambda n: _progress(job_id, n))
            key = f"{uuid.uuid4().hex}.xlsx"
            storage().save(key, data)
            db.session.execute(update(ExportJob).where(ExportJob.id == job_id).values(
                status="done", done=job.total, storage_key=key, finished_at=datetime.now(),
                filename=f"申报列表_{datetime.now():%Y%m%d%H%M}.xlsx"))
            db.session.commit()
        except Exception:  # noqa: BLE001 (a failed job is reported, never lost)
            log.exception("Export job %s failed", job_id)
            db.session.rollback()
            db.session.execute(update(ExportJob).where(ExportJob.id == job_id).values(
                status="failed", error="导出失败，请重试", finished_at=datetime.now()))
            db.session.commit()
        finally:
            db.session.remove()


def _progress(job_id: int, done: int) -> None:
    # A separate short transaction, so the progress is visible at once.
    with db.engine.begin() as conn:
        conn.execute(update(ExportJob).where(ExportJob.id == job_id).values(done=done))
