"""统计分析 (M5): every figure is one GROUP BY query over the declarations the
person may see (`visible_declarations`, the same rule as every list), with
the review lists' filters. Nothing loads declarations into Python."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime

from flask import current_app

from sqlalchemy import case, func, literal, null, select
from sqlalchemy.orm import aliased

from app.insight.time_limits import HOLDERS, overdue_condition
from app.platform.extensions import db
from app.platform.kvstore import kv
from app.review.workflow import STATUS_LABELS
from models import Declaration, Organisation, ReviewEvent
from permissions.scopes import visible_declarations

FILTER_KEYS = ("series", "level", "year", "unit", "status")
DECIDED = ("approved", "rejected")


@dataclass
class Table:
    """One figure: a title, column headers, rows, and how to chart it."""
    key: str
    title: str
    headers: list[str]
    rows: list[list] = field(default_factory=list)
    chart: str = "bar"          # bar, line or pie
    label_col: int = 0          # the column naming each bar / point / slice
    value_col: int = 1          # the column drawn


def conditions(user, f: dict) -> list:
    out = [visible_declarations(user)]
    if f.get("status") in STATUS_LABELS:
        out.append(Declaration.status == f["status"])
    if f.get("series"):
        out.append(Declaration.series == f["series"])
    if f.get("level"):
        out.append(Declaration.level == f["level"])
    if str(f.get("year", "")).isdigit():
        out.append(Declaration.year == int(f["year"]))
    if str(f.get("unit", "")).isdigit():
        out.append(Declaration.unit_id == int(f["unit"]))
    return out


def _counts(where, column, names=None) -> list[list]:
    rows = db.session.execute(select(column, func.count(Declaration.id)).where(*where)
                              .group_by(column).order_by(func.count(Declaration.id).desc(), column)).all()
    return [[(names or {}).get(key, key if key is not None else "（未填写）"), n] for key, n in rows]


def _org_counts(where, column) -> list[list]:
    org = aliased(Organisation)
    rows = db.session.execute(select(func.coalesce(org.name, "（无）"), func.count(Declaration.id))
                              .select_from(Declaration).outerjoin(org, org.id == column).where(*where)
                              .group_by(org.name).order_by(func.count(Declaration.id).desc(), org.name)).all()
    return [list(r) for r in rows]


def _pass_rates(where, column, names) -> list[list]:
    decided = func.sum(case((Declaration.status.in_(DECIDED), 1), else_=0))
    passed = func.sum(case((Declaration.status == "approved", 1), else_=0))
    rows = db.session.execute(select(column, func.count(Declaration.id), decided, passed).where(*where)
                              .group_by(column).order_by(column)).all()
    return [[names.get(key, key), total, int(d or 0), int(p or 0), _percent(p, d)] for key, total, d, p in rows]


def _percent(part, whole) -> str:
    return f"{100 * (part or 0) / whole:.1f}%" if whole else "—"


def _seconds(start, end):
    """Seconds between two timestamps, in this database's own arithmetic."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", end - start)
    return (func.julianday(end) - func.julianday(start)) * 86400.0


def waiting_times(where) -> list[list]:
    """Per step and organisation: how many declarations passed through or wait
    there, the median and the longest wait in days (still waiting: until now)."""
    now = literal(datetime.now().replace(microsecond=0))
    left = func.lead(ReviewEvent.created_at).over(partition_by=ReviewEvent.declaration_id,
                                                 order_by=ReviewEvent.id)
    org_of_step = case(*[(ReviewEvent.to_status == step, getattr(Declaration, column) if column else null())
                         for step, (_, column) in HOLDERS.items()], else_=null())
    spans = (select(ReviewEvent.to_status.label("step"), org_of_step.label("org_id"),
                    ReviewEvent.created_at.label("start"), left.label("end"))
             .join(Declaration, Declaration.id == ReviewEvent.declaration_id).where(*where)).subquery("spans")
    days = (_seconds(spans.c.start, func.coalesce(spans.c.end, now)) / 86400.0).label("days")
    waits = select(spans.c.step, spans.c.org_id, days).where(spans.c.step.in_(list(HOLDERS))).subquery("waits")
    if db.session.get_bind().dialect.name == "postgresql":
        # an ordered-set aggregate: one sort per group, no window over every row
        median = func.percentile_cont(0.5).within_group(waits.c.days)
        grouped = (select(waits.c.step, waits.c.org_id, func.count().label("n"), median.label("median"),
                          func.max(waits.c.days).label("top"))
                   .group_by(waits.c.step, waits.c.org_id)).subquery("grouped")
    else:
        ranked = select(waits.c.step, waits.c.org_id, waits.c.days,
                        func.row_number().over(partition_by=(waits.c.step, waits.c.org_id),
                                               order_by=waits.c.days).label("rn"),
                        func.count().over(partition_by=(waits.c.step, waits.c.org_id)).label("n")).subquery("r")
        middle = ranked.c.rn.in_(((ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2))   # the middle one or two
        grouped = (select(ranked.c.step, ranked.c.org_id, func.max(ranked.c.n).label("n"),
                          func.avg(case((middle, ranked.c.days), else_=None)).label("median"),
                          func.max(ranked.c.days).label("top"))
                   .group_by(ranked.c.step, ranked.c.org_id)).subquery("grouped")
    stmt = (select(grouped.c.step, func.coalesce(Organisation.name, "职称办"), grouped.c.n, grouped.c.median,
                   grouped.c.top).outerjoin(Organisation, Organisation.id == grouped.c.org_id))
    order = list(HOLDERS)
    rows = sorted(db.session.execute(stmt), key=lambda r: (order.index(r[0]), -float(r[4] or 0)))
    return [[STATUS_LABELS[step], org, int(n), round(float(med or 0), 1), round(float(top or 0), 1)]
            for step, org, n, med, top in rows]


def overdue_counts(where) -> list[list]:
    rows = db.session.execute(select(Declaration.status, func.count(Declaration.id))
                              .where(*where, overdue_condition()).group_by(Declaration.status)).all()
    counts = dict(rows)
    return [[STATUS_LABELS[s], counts.get(s, 0)] for s in HOLDERS]


def year_on_year(where) -> list[list]:
    passed = func.sum(case((Declaration.status == "approved", 1), else_=0))
    rows = db.session.execute(select(Declaration.year, func.count(Declaration.id), passed).where(*where)
                              .group_by(Declaration.year).order_by(Declaration.year)).all()
    out, previous = [], None
    for year, total, ok in rows:
        change = f"{100 * (total - previous) / previous:+.1f}%" if previous else "—"
        out.append([f"{year}年度", total, int(ok or 0), change])
        previous = total
    return out


def per_day(where) -> list[list]:
    day = func.date(Declaration.submitted_at)
    rows = db.session.execute(select(day, func.count(Declaration.id))
                              .where(*where, Declaration.submitted_at.is_not(None))
                              .group_by(day).order_by(day)).all()
    return [[str(d)[:10], n] for d, n in rows]


def statistics(user, f: dict, series_names: dict, level_names: dict) -> list[Table]:
    """Every table of the statistics page, in page order."""
    where = conditions(user, f)
    total = db.session.scalar(select(func.count(Declaration.id)).where(*where)) or 0
    tables = [
        Table("status", "按状态", ["状态", "申报数"], _counts(where, Declaration.status, STATUS_LABELS), "pie"),
        Table("series", "按专业技术系列", ["系列", "申报数"], _counts(where, Declaration.series, series_names)),
        Table("level", "按级别", ["级别", "申报数"], _counts(where, Declaration.level, level_names), "pie"),
        Table("unit", "按工作单位", ["工作单位", "申报数"], _org_counts(where, Declaration.unit_id)),
        Table("department", "按主管部门", ["主管部门", "申报数"], _org_counts(where, Declaration.department_id)),
        Table("committee", "按评委会", ["评委会", "申报数"], _org_counts(where, Declaration.committee_id)),
        Table("year", "按年度（同比）", ["年度", "申报数", "通过数", "同比变化"], year_on_year(where), "line"),
        Table("pass_series", "各系列通过率", ["系列", "申报数", "已评结", "通过数", "通过率"],
              _pass_rates(where, Declaration.series, series_names), "bar", value_col=3),
        Table("pass_level", "各级别通过率", ["级别", "申报数", "已评结", "通过数", "通过率"],
              _pass_rates(where, Declaration.level, level_names), "bar", value_col=3),
        Table("per_day", "每日提交数", ["日期", "提交数"], per_day(where), "line"),
        Table("waiting", "各环节等待时间（天）", ["环节", "机构", "件数", "中位数", "最长"], waiting_times(where),
              "bar", label_col=1, value_col=4),
        Table("overdue", "超期未处理", ["环节", "超期件数"], overdue_counts(where)),
    ]
    tables[0].title = f"按状态（共{total}件）"
    return tables


TABLE_KEYS = ("status", "series", "level", "unit", "department", "committee", "year", "pass_series", "pass_level",
              "per_day", "waiting", "overdue")


def cached_statistics(user, f: dict, series_names: dict, level_names: dict) -> tuple[list[Table], str]:
    """The tables and when they were computed. A person's figures for the
    same filters are kept for STATISTICS_CACHE_SECONDS in the shared store, so
    opening the page again, or exporting a table from it, costs no query."""
    ttl = current_app.config.get("STATISTICS_CACHE_SECONDS", 60)
    key = "stats:" + json.dumps([user.id, {k: f.get(k, "") for k in FILTER_KEYS}], sort_keys=True)
    if ttl:
        hit = kv().get(key)
        if hit:
            saved = json.loads(hit)
            return [Table(**t) for t in saved["tables"]], saved["at"]
    tables = statistics(user, f, series_names, level_names)
    at = datetime.now().strftime("%Y-%m-%d %H:%M:%S")
    if ttl:
        kv().set(key, json.dumps({"tables": [asdict(t) for t in tables], "at": at}, ensure_ascii=False,
                                 default=float), ttl)
    return tables, at
