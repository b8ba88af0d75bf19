"""Adding and removing a declaration's attachments: who may, where, how
many (D17). The file is processed first, stored, then its row committed; on
any failure neither a file nor a row is left behind."""
from __future__ import annotations

import logging
import uuid
from typing import BinaryIO

from sqlalchemy import func, select

from app.declaration.data import Conflict, DeclarationData, touch
from app.declaration.uploads import UploadRefused, process_image
from app.platform.extensions import db
from app.platform.storage import storage
from models import Attachment, Declaration
from models.registry import BY_KEY

log = logging.getLogger(__name__)


def place_error(data: DeclarationData, section_key: str, kind_key: str, row_id: int | None) -> str | None:
    """Why an attachment cannot go to this place, or None."""
    section = BY_KEY.get(section_key)
    kind = section.attachment(kind_key) if section else None
    if kind is None or section.key not in {p.key for p in data.pages()} | {
            c.key for p in data.pages() for c in p.children()}:
        return "附件类别不存在"
    if section.many:
        row = next((r for r in data.rows(section.key) if r.id == row_id), None)
        if row is None:
            return "请先保存这条信息，再上传附件"
        values = data.values(section.key, row)
    else:
        if row_id is not None:
            return "附件类别不存在"
        if data.single(section.key) is None:
            return "请先填写并保存本页信息，保存成功后再上传附件"
        values = data.values(section.key)
    if not kind.applies(values):
        return f"按本页已保存的选择，不需要上传{kind.label}"
    return None


def add_attachment(declaration: Declaration, section_key: str, kind_key: str, row_id: int | None,
                   raw: bytes | BinaryIO, filename: str) -> Attachment:
    """Raises UploadRefused or Conflict with a message for the person."""
    if not declaration.editable:
        raise Conflict("申报已提交，不能上传附件")
    data = DeclarationData(declaration)
    error = place_error(data, section_key, kind_key, row_id)
    if error:
        raise UploadRefused(error)
    image = process_image(raw)
    key = f"{uuid.uuid4().hex}.jpg"
    storage().save(key, image.data)
    try:
        touch(declaration)  # serialises uploads to one declaration, so the count below holds
        kind = BY_KEY[section_key].attachment(kind_key)
        have = db.session.scalar(select(func.count(Attachment.id)).where(
            Attachment.declaration_id == declaration.id, Attachment.section == section_key,
            Attachment.kind == kind_key,
            Attachment.row_id.is_(None) if row_id is None else Attachment.row_id == row_id))
        if have >= kind.max_files:
            raise UploadRefused(f"{kind.label}最多上传{kind.max_files}个，请先删除再上传")
        attachment = Attachment(declaration_id=declaration.id, section=section_key, row_id=row_id, kind=kind_key,
                                storage_key=key, original_name=_display_name(filename), size=len(image.data),
                                width=image.width, height=image.height, content_type="image/jpeg")
        db.session.add(attachment)
        db.session.commit()
        return attachment
    except BaseException:
        db.session.rollback()
        storage().delete(key)
        raise


def delete_attachment(declaration: Declaration, attachment: Attachment) -> None:
    if not declaration.editable:
        raise Conflict("申报已提交，不能删除附件")
    touch(declaration)
    key = attachment.storage_key
    db.session.delete(attachment)
    db.session.commit()
    remove_files([key])


def remove_files(keys: list[str]) -> None:
    """After a commit: the files of deleted rows go too (a failure only leaves a stray file)."""
    for key in keys:
        try:
            storage().delete(key)
        except OSError:
            log.exception("Could not delete stored file %s", key)


def _display_name(filename: str | None) -> str:
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable())[:200]
    return name or "图片.jpg"
