"""通知公告: which announcements are shown today, to whom; their policy file."""
from __future__ import annotations

import uuid
from datetime import date

from app.declaration.data import DeclarationData, dictionaries, find_declaration
from app.platform.files import detected_kind, download_name
from app.platform.storage import storage
from models import Announcement, clock

MAX_FILE_BYTES = 10 * 1024 * 1024


def is_published(announcement, today: date | None = None) -> bool:
    """Published today (both dates inclusive)."""
    today = today or clock.today()
    return announcement.publish_on <= today and (announcement.unpublish_on is None
                                                 or announcement.unpublish_on >= today)


def visible_to(announcement, series: str | None, staff: bool) -> bool:
    """Who reads an announcement: one for everyone, anyone; one for a series,
    only applicants whose declaration is of that series, and staff — never
    an applicant who chose no series or another, nor the public pages."""
    return announcement.series is None or staff or (series is not None and announcement.series == series)


def current_announcements(series: str | None = None, staff: bool = False, limit: int = 10):
    """Announcements published today that this reader may see (`visible_to`),
    pinned first, newest first. Read from the worker's cache of rarely changed
    things (an administrator's save renews it), so the login page runs no
    query for them."""
    shown = [a for a in dictionaries().announcements if is_published(a) and visible_to(a, series, staff)]
    shown.sort(key=lambda a: (not a.pinned, -a.publish_on.toordinal(), -a.id))
    return shown[:limit]


def file_error(data: bytes) -> str | None:
    if not data:
        return "附件为空文件"
    if len(data) > MAX_FILE_BYTES:
        return "附件不能超过10MB"
    # what a policy file is, is decided by its first bytes (never by its name)
    if detected_kind(data) is None:
        return "附件只能是PDF、JPG或PNG文件"
    return None


def store_file(announcement: Announcement, data: bytes, original_name: str) -> None:
    """Keep the policy file under a server-made name (call file_error first)."""
    suffix = detected_kind(data)[0]
    key = uuid.uuid4().hex + suffix
    storage().save(key, data)
    announcement.attachment_key = key
    announcement.attachment_name = download_name(original_name, suffix)


def applicant_series(account_id: int) -> str | None:
    """The series of this year's declaration (as saved on 个人基本信息), if any."""
    declaration = find_declaration(account_id)
    if declaration is None:
        return None
    basic = DeclarationData(declaration).single("basic")
    return declaration.series or (basic.series if basic else None)
