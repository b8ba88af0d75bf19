"""Keeping the storage and the database in step (#11): a sweep that finds
files without rows (removed after a grace period, so an upload whose row is
about to commit is never touched) and rows without files (reported), the
check after a restore, and copying a local upload folder into a bucket.
Serving an uploaded file: its type, and the extension of the name it is
offered under, come from its content, never from the name it was uploaded
with."""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import quote

from flask import Response, current_app
from sqlalchemy import select

from app.platform.extensions import db
from app.platform.jobs import task
from app.platform.storage import LocalStorage, StorageError, storage
from models import Attachment, ExportJob, clock

log = logging.getLogger(__name__)


@dataclass
class SweepReport:
    orphans: list[str] = field(default_factory=list)       # files no row names
    removed: list[str] = field(default_factory=list)       # … of which old enough to remove
    missing: list[tuple[str, int, str]] = field(default_factory=list)   # (table, id, key) rows without a file


def referenced() -> dict[str, tuple[str, int]]:
    refs = {key: ("attachment", id_) for id_, key in db.session.execute(select(Attachment.id, Attachment.storage_key))}
    refs.update({key: ("export_job", id_) for id_, key in db.session.execute(
        select(ExportJob.id, ExportJob.storage_key).where(ExportJob.storage_key.is_not(None)))})
    return refs


def sweep(now: datetime | None = None, remove: bool = True) -> SweepReport:
    now = now or clock.now()
    grace = timedelta(hours=current_app.config.get("STORAGE_ORPHAN_GRACE_HOURS", 24))
    refs = referenced()
    report = SweepReport()
    stored = set()
    for key, written in storage().keys():
        stored.add(key)
        if key in refs:
            continue
        report.orphans.append(key)
        if remove and written < now - grace:
            storage().delete(key)
            report.removed.append(key)
    report.missing = sorted((table, id_, key) for key, (table, id_) in refs.items() if key not in stored)
    if report.orphans or report.missing:
        log.warning("Storage sweep: %d files without a row (%d removed), %d rows without a file: %s",
                    len(report.orphans), len(report.removed), len(report.missing), report.missing[:20])
    return report


@task("storage.sweep", every=timedelta(hours=6), retries=0)
def sweep_task() -> None:
    sweep()


def missing_attachments() -> list[Attachment]:
    """Attachments whose file is not in the storage (after a restore without
    the files, or a lost bucket)."""
    stored = {key for key, _ in storage().keys()}
    return [a for a in db.session.scalars(select(Attachment).order_by(Attachment.declaration_id, Attachment.id))
            if a.storage_key not in stored]


def copy_local_to(target, source: LocalStorage) -> tuple[int, list[str]]:
    """Copy every local file into `target` and read each back to compare its
    SHA-256. Returns (copied, failed keys); copying twice is harmless."""
    copied, failed = 0, []
    for key, _ in source.keys():
        data = source.read(key)
        try:
            target.save(key, data)
            if hashlib.sha256(target.read(key)).digest() != hashlib.sha256(data).digest():
                raise StorageError("content differs")
            copied += 1
        except StorageError as exc:
            log.error("Copy of %s failed: %s", key, exc)
            failed.append(key)
    return copied, failed


def local_source(path: str | None = None) -> LocalStorage:
    return LocalStorage(path or current_app.config["UPLOAD_DIR"])


# --- serving uploaded files ---------------------------------------------------

#: the kinds of file people upload, by their first bytes: (magic, extension, content type)
CONTENT_KINDS = (
    (b"%PDF-", ".pdf", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", ".png", "image/png"),
    (b"\xff\xd8\xff", ".jpg", "image/jpeg"),
)
UNKNOWN_KIND = (".bin", "application/octet-stream")


def detected_kind(data: bytes) -> tuple[str, str] | None:
    """(extension, content type) of the file, decided by its content; None when it is none of CONTENT_KINDS."""
    return next(((suffix, mimetype) for magic, suffix, mimetype in CONTENT_KINDS if data.startswith(magic)), None)


def download_name(name: str | None, suffix: str, default: str = "附件") -> str:
    """The name a file is offered under: the uploaded name without its
    extension (a polyglot named 政策文件.html is not offered as .html) and
    the extension of the type found in its content."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c for c in base if c.isprintable() and c not in '"')
    stem = base.rsplit(".", 1)[0].strip(" .") if "." in base else base.strip(" .")
    return (stem[:100] or default) + suffix


def file_response(data: bytes, name: str | None, inline: bool = False) -> Response:
    """An uploaded file for download (or shown inline): Content-Type and the
    name's extension both from its content, nosniff, never cached."""
    suffix, mimetype = detected_kind(data) or UNKNOWN_KIND
    disposition = "inline" if inline else "attachment"
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = (f'{disposition}; filename="attachment{suffix}"; '
                                               f"filename*=UTF-8''{quote(download_name(name, suffix))}")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response
