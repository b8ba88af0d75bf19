"""从上一年度复制 (B7): a new year's declaration starts from a copy of the
applicant's latest one — pages, rows and attachments — as the applicant's
own editable data: every file is copied under a new key, nothing is shared.
What was already typed in the new year is never overwritten: a page or a
list that already has data keeps it, and only the others are copied."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import select

from app.declaration.data import (
    DeclarationData,
    current_year,
    find_declaration,
    new_declaration,
    touch,
)
from app.platform.extensions import db
from app.platform.storage import storage
from models import Attachment, Declaration
from models.registry import SECTIONS
from models.registry.fields import RowChoiceField

#: columns every section table has that are not the applicant's data
_OWN_COLUMNS = {"id", "declaration_id", "created_at", "updated_at"}


@dataclass
class CopyReport:
    source_year: int
    copied: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    files: int = 0


def declarations_of(applicant_id: int) -> list[Declaration]:
    """历年申报记录: every year's declaration, newest first."""
    return list(db.session.scalars(select(Declaration).where(Declaration.applicant_id == applicant_id)
                                   .order_by(Declaration.year.desc())))


def previous_declaration(applicant_id: int) -> Declaration | None:
    """The latest declaration of an earlier year than the one open now."""
    return db.session.scalar(select(Declaration).where(
        Declaration.applicant_id == applicant_id, Declaration.year < current_year())
        .order_by(Declaration.year.desc()))


def copy_previous(applicant) -> CopyReport | None:
    """Copy the latest earlier declaration into this year's (made if needed),
    in one transaction. None when there is nothing to copy from. Raises
    Conflict when this year's declaration is submitted or changed meanwhile."""
    source = previous_declaration(applicant.id)
    if source is None:
        return None
    target = find_declaration(applicant.id) or new_declaration(applicant)
    touch(target)        # takes the declaration's lock, refuses a submitted one, stores a new one
    old, new = DeclarationData(source), DeclarationData(target)
    report = CopyReport(source_year=source.year)
    row_ids: dict[tuple[str, int], int] = {}        # (section, old row id) → new row id
    written: list[str] = []
    try:
        # lists first: a page's 有效学历 points at a copied 学历信息 row
        for section in sorted(SECTIONS, key=lambda s: not s.many):
            if not (old.rows(section.key) if section.many else old.single(section.key)):
                continue
            if new.rows(section.key) if section.many else new.single(section.key):
                report.kept.append(section.title)     # typed this year: left as it is
                continue
            sources = old.rows(section.key) if section.many else [old.single(section.key)]
            for obj in sources:
                copy = section.model(declaration_id=target.id, **_values(section, obj, row_ids))
                db.session.add(copy)
                db.session.flush()
                if section.many:
                    row_ids[(section.key, obj.id)] = copy.id
                written += _copy_files(source, target, section, obj.id if section.many else None,
                                       copy.id if section.many else None)
            report.copied.append(section.title)
        report.files = len(written)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        for key in written:
            storage().delete(key)
        raise
    return report


def _values(section, obj, row_ids) -> dict:
    values = {c.key: getattr(obj, c.key) for c in section.model.__table__.columns if c.key not in _OWN_COLUMNS}
    for f in section.stored_fields:
        if isinstance(f, RowChoiceField) and values.get(f.name) is not None:
            values[f.name] = row_ids.get((f.section, values[f.name]))   # the copied row, or none
    return values


def _copy_files(source, target, section, old_row, new_row) -> list[str]:
    keys = []
    found = db.session.scalars(select(Attachment).where(
        Attachment.declaration_id == source.id, Attachment.section == section.key,
        Attachment.row_id.is_(None) if old_row is None else Attachment.row_id == old_row).order_by(Attachment.id))
    for a in found:
        key = f"{uuid.uuid4().hex}.jpg"
        storage().save(key, storage().read(a.storage_key))
        keys.append(key)
        db.session.add(Attachment(declaration_id=target.id, section=a.section, row_id=new_row, kind=a.kind,
                                  storage_key=key, original_name=a.original_name, content_type=a.content_type,
                                  size=a.size, width=a.width, height=a.height))
    return keys
