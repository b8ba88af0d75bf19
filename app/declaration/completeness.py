"""The completeness report (B1) and hints (B2): every missing required field
and attachment, page by page, from the registry's rules."""
from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field

from app.declaration.data import DeclarationData
from app.platform.storage import storage
from models.registry import Section


@dataclass
class Gap:
    message: str
    anchor: str                    # the field or attachment to go to
    row_id: int | None = None


@dataclass
class SectionReport:
    section: Section
    gaps: list[Gap] = dc_field(default_factory=list)
    hints: list[tuple[str | None, str]] = dc_field(default_factory=list)


def _attachment_gaps(data, section, values, row_id, prefix="") -> list[Gap]:
    gaps = []
    for kind in section.attachments:
        if kind.min_files and kind.applies(values):
            rows = data.attachments(section.key, kind.key, row_id)
            # A row whose file is gone (restored without the files) does not count.
            have = sum(1 for a in rows if storage().exists(a.storage_key))
            if have < kind.min_files:
                lost = f"（{len(rows) - have}个文件已丢失，请重新上传）" if have < len(rows) else ""
                gaps.append(Gap(f"{prefix}请上传{kind.label}" + (f"（至少{kind.min_files}个）" if kind.min_files > 1 else "")
                                + lost, f"att-{section.key}-{kind.key}", row_id))
    return gaps


def _field_gaps(section, values, row_id=None, prefix="") -> list[Gap]:
    return [Gap(f"{prefix}{f.label}未填写", f.name, row_id)
            for f in section.stored_fields if f.required and f.applies(values) and values.get(f.name) is None]


def completeness(data: DeclarationData) -> list[SectionReport]:
    """Every missing required field and attachment, page by page, plus the hints."""
    reports = []
    for page in data.pages():
        for section in [page, *page.children()]:
            if section.parent and not data.child_applies(section):
                continue
            report = SectionReport(section)
            if section.many:
                rows = data.rows(section.key)
                if len(rows) < section.min_rows:
                    report.gaps.append(Gap(f"请至少录入{section.min_rows}条{section.title}", "rows"))
                for number, row in enumerate(rows, 1):
                    values = data.values(section.key, row)
                    prefix = f"第{number}条："
                    report.gaps += _field_gaps(section, values, row.id, prefix)
                    report.gaps += _attachment_gaps(data, section, values, row.id, prefix)
            else:
                values = data.values(section.key)
                if not values:
                    report.gaps.append(Gap(f"{section.title}尚未填写保存", "form"))
                else:
                    report.gaps += _field_gaps(section, values)
                    report.gaps += _attachment_gaps(data, section, values, None)
            for hint in section.hints:
                report.hints += hint(data)
            reports.append(report)
    return reports

