"""Reviewers' files: the rows of the list export (P5) and the committee's
答辩安排 import (W6), read within the import caps, checked row by row and
imported all or nothing."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from app.declaration.data import lookups
from app.platform.audit import record
from app.platform.extensions import db
from app.platform.xlsx_reader import read_table
from app.review.workflow import STATUS_LABELS
from models import Account, Declaration, DefenceArrangement, clock
from models.identity import InvalidIdNumber, mask_id_number, mask_phone, parse_id_number

EXPORT_HEADERS = ["序号", "姓名", "身份证号", "手机号", "工作单位", "申报专业技术系列", "申报专业技术级别", "申报年度", "状态",
                  "提交时间", "证书编号"]
DEFENCE_HEADERS = ["身份证号", "答辩时间", "答辩地点", "答辩分组", "备注"]
DEFENCE_LIMITS = {"答辩时间": 50, "答辩地点": 100, "答辩分组": 50, "备注": 200}


def list_rows_for_export(rows, full_identifiers: bool = False):
    """The header, then one row per declaration; ID numbers and phones masked
    unless the exporting role may see them (B8). A generator: rows stream."""
    lk = lookups()
    yield EXPORT_HEADERS
    for number, r in enumerate(rows, 1):   # rows of app.review.lists.export_query
        id_number = r.id_number if full_identifiers else mask_id_number(r.id_number)
        phone = r.phone if full_identifiers else mask_phone(r.phone)
        yield [number, r.first_name, id_number or "", phone or "", r.unit_name or "",
               lk.name("title_series", r.series) or "", lk.name("title_level", r.level) or "", r.year,
               STATUS_LABELS[r.status], r.submitted_at.strftime("%Y-%m-%d %H:%M") if r.submitted_at else "",
               r.certificate_no or ""]


def read_defence_sheet(raw: bytes) -> list[tuple[int, dict]]:
    """The sheet's non-blank rows, only the template's columns, within the
    import caps (app/platform/xlsx_reader.py). Raises SheetRefused."""
    return list(read_table(raw, DEFENCE_HEADERS, DEFENCE_HEADERS[:3]))


def import_defence_rows(rows, user, on_progress=None) -> tuple[list[str], int | None]:
    """Check every row; return (all errors, None) when any row is wrong, or
    ([], number imported), imported in one transaction with its audit row."""
    errors, found, seen = [], [], set()
    for done, (number, raw_values) in enumerate(rows, 1):
        if on_progress and done % 100 == 0:
            on_progress(done)
        values = {h: _text(v) for h, v in raw_values.items()}
        try:
            id_number = parse_id_number(values["身份证号"])["id_number"]
        except InvalidIdNumber as exc:
            errors.append(f"第{number}行：{exc}")
            continue
        if id_number in seen:
            errors.append(f"第{number}行：身份证号与前面的行重复")
            continue
        seen.add(id_number)
        problems = [f"{h}不能为空" for h in ("答辩时间", "答辩地点") if not values.get(h)]
        problems += [f"{h}不能超过{n}个字" for h, n in DEFENCE_LIMITS.items() if len(values.get(h, "")) > n]
        declaration = db.session.scalar(
            select(Declaration).join(Account, Account.id == Declaration.applicant_id)
            .where(Account.id_number_is(id_number), Declaration.committee_id == user.org_id,
                   Declaration.committee_received.is_(True)).order_by(Declaration.year.desc()))
        if declaration is None:
            problems.append("本评委会没有已接收的该申报人的申报")
        if problems:
            errors.append(f"第{number}行（{mask_id_number(id_number)}）：" + "；".join(problems))
            continue
        found.append((declaration, values))
    if errors:
        return errors, None
    if not found:
        return ["表格中没有答辩安排"], None
    for declaration, values in found:
        arrangement = db.session.scalar(select(DefenceArrangement).where(
            DefenceArrangement.declaration_id == declaration.id)) or DefenceArrangement(declaration_id=declaration.id)
        arrangement.time, arrangement.place = values["答辩时间"], values["答辩地点"]
        arrangement.group, arrangement.note = values.get("答辩分组", ""), values.get("备注", "")
        arrangement.imported_by, arrangement.imported_at = user.id, clock.now()
        db.session.add(arrangement)
    record("defence.import", f"organisation:{user.org_id}", actor=user, after={"rows": len(found)})
    db.session.commit()
    return [], len(found)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return " ".join(str(value).split())
