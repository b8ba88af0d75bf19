"""A declaration's history (审批流程) and what changed between two
submissions (B4): each submission stores a snapshot of the data as people
read it; two snapshots compare field by field and row by row."""
from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import defer

from app.declaration.data import DeclarationData, lookups
from app.platform.extensions import db
from models import Attachment, Declaration, ReviewEvent
from models.registry import SECTIONS


# Built once (building the loader options cost more than running the query).
_EVENTS = select(ReviewEvent).where(ReviewEvent.declaration_id == bindparam("declaration")).order_by(ReviewEvent.id)
_STEPS = _EVENTS.options(defer(ReviewEvent.snapshot, raiseload=True))
_LAST_TWO_SNAPSHOTS = (select(ReviewEvent.snapshot)
                       .where(ReviewEvent.declaration_id == bindparam("declaration"), ReviewEvent.action == "submit")
                       .order_by(ReviewEvent.id.desc()).limit(2))


def history(declaration: Declaration, snapshots: bool = False) -> list[ReviewEvent]:
    """The steps in order; the submissions' snapshots (large) only when asked."""
    return list(db.session.scalars(_EVENTS if snapshots else _STEPS, {"declaration": declaration.id}))


def snapshot_of(data: DeclarationData) -> dict:
    """The declaration as people read it: section → {label: value} or rows."""
    lk = lookups()
    out = {}
    for section in SECTIONS:
        if section.many:
            rows = [{f.label: f.display(getattr(r, f.name), lk) for f in section.stored_fields}
                    | {"_id": r.id} for r in data.rows(section.key)]
            if rows:
                out[section.key] = rows
        else:
            obj = data.single(section.key)
            if obj is not None:
                out[section.key] = {f.label: data.chosen_row(f, getattr(obj, f.name)) if f.kind == "rowchoice"
                                    else f.display(getattr(obj, f.name), lk) for f in section.stored_fields}
    files = db.session.scalars(select(Attachment).where(Attachment.declaration_id == data.declaration.id))
    out["_attachments"] = sorted(f"{a.section}/{a.kind}/{a.row_id or ''}/{a.original_name}#{a.id}" for a in files)
    return out


@dataclass
class Change:
    section: str
    what: str          # "修改", "新增", "删除"
    detail: str


def changes_between(old: dict, new: dict) -> list[Change]:
    """Field by field and row by row, what differs between two snapshots."""
    titles = {s.key: s.title for s in SECTIONS}
    changes = []
    for key in [s.key for s in SECTIONS]:
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        title = titles[key]
        if isinstance(before or after, list):
            old_rows = {r["_id"]: r for r in before or []}
            new_rows = {r["_id"]: r for r in after or []}
            for row_id, row in new_rows.items():
                if row_id not in old_rows:
                    changes.append(Change(title, "新增", _row_text(row)))
                elif row != old_rows[row_id]:
                    for label in row:
                        if label != "_id" and row[label] != old_rows[row_id].get(label):
                            changes.append(Change(title, "修改", f"{label}：{old_rows[row_id].get(label) or '（空）'}"
                                                                  f" → {row[label] or '（空）'}"))
            for row_id, row in old_rows.items():
                if row_id not in new_rows:
                    changes.append(Change(title, "删除", _row_text(row)))
        else:
            before, after = before or {}, after or {}
            for label in dict.fromkeys([*before, *after]):
                if before.get(label) != after.get(label):
                    changes.append(Change(title, "修改", f"{label}：{before.get(label) or '（空）'} → "
                                                          f"{after.get(label) or '（空）'}"))
    old_files, new_files = set(old.get("_attachments", [])), set(new.get("_attachments", []))
    for name in sorted(new_files - old_files):
        changes.append(Change("附件", "新增", name.split("/")[-1].split("#")[0]))
    for name in sorted(old_files - new_files):
        changes.append(Change("附件", "删除", name.split("/")[-1].split("#")[0]))
    return changes


def _row_text(row: dict) -> str:
    return "，".join(f"{k}：{v}" for k, v in row.items() if k != "_id" and v)


def latest_changes(declaration: Declaration, events: list[ReviewEvent] | None = None) -> list[Change] | None:
    """Changes since the previous submission; None when there was only one
    (known without a query when the history is at hand)."""
    if events is not None and sum(e.action == "submit" for e in events) < 2:
        return None
    snapshots = db.session.scalars(_LAST_TWO_SNAPSHOTS, {"declaration": declaration.id}).all()
    if len(snapshots) < 2:
        return None
    return changes_between(json.loads(snapshots[1]), json.loads(snapshots[0]))


