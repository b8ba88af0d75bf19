"""通知公告: which announcements are shown today, to whom; their policy file."""
from __future__ import annotations

import uuid
from datetime import date

from app.declaration.data import DeclarationData, dictionaries, find_declaration
from app.platform.storage import storage
from models import Announcement

MAX_FILE_BYTES = 10 * 1024 * 1024
#: what a policy file may be, decided by its first bytes (never by its name)
FILE_KINDS = {b"%PDF-": ".pdf", b"\x89PNG\r\n\x1a\n": ".png", b"\xff\xd8\xff": ".jpg"}
FILE_TYPES = {".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg"}


def is_published(announcement, today: date | None = None) -> bool:
    """Published today (both dates inclusive)."""
    today = today or date.today()
    return announcement.publish_on <= today and (announcement.unpublish_on is None
                                                 or announcement.unpublish_on >= today)


def current_announcements(series: str | None = None, everyone_only: bool = False, limit: int = 10):
    """Announcements published today, pinned first, newest first. An
    applicant sees those for everyone and those of their own series; the
    login page (`everyone_only`) those for everyone. Read from the worker's
    cache of rarely changed things (an administrator's save renews it), so
    the login page runs no query for them."""
    shown = [a for a in dictionaries().announcements if is_published(a)
             and (a.series is None or (not everyone_only and (series is None or a.series == series)))]
    shown.sort(key=lambda a: (not a.pinned, -a.publish_on.toordinal(), -a.id))
    return shown[:limit]


def file_suffix(data: bytes) -> str | None:
    return next((suffix for magic, suffix in FILE_KINDS.items() if data.startswith(magic)), None)


def file_error(data: bytes) -> str | None:
    if not data:
        return "附件为空文件"
    if len(data) > MAX_FILE_BYTES:
        return "附件不能超过10MB"
    if file_suffix(data) is None:
        return "附件只能是PDF、JPG或PNG文件"
    return None


def store_file(announcement: Announcement, data: bytes, original_name: str) -> None:
    """Keep the policy file under a server-made name (call file_error first)."""
    key = uuid.uuid4().hex + file_suffix(data)
    storage().save(key, data)
    announcement.attachment_key = key
    announcement.attachment_name = (original_name or "附件").replace("/", "_").replace("\\", "_")[-100:]


def applicant_series(account_id: int) -> str | None:
    """The series of this year's declaration (as saved on 个人基本信息), if any."""
    declaration = find_declaration(account_id)
    if declaration is None:
        return None
    basic = DeclarationData(declaration).single("basic")
    return declaration.series or (basic.series if basic else None)
