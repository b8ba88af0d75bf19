"""统计分析 (M5): every figure is counted in SQL over the declarations the
person may see (`visible_declarations`, the same rule as every list), with
the review lists' filters: the ten tables of counts in one GROUP BY pass
(`breakdowns`), the waits and overdue counts in another over the history
(`waiting_times`). Nothing loads declarations into Python."""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field

from flask import current_app

from sqlalchemy import case, func, literal, null, select, tuple_

from app.insight.time_limits import HOLDERS, past_limit
from app.platform.extensions import db
from app.platform.kvstore import kv
from app.review.workflow import STATUS_LABELS
from models import clock
from models.clock import AwareDateTime
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


#: what the page counts the declarations by: one table each (series and level two)
BREAKDOWNS = {"status": Declaration.status, "series": Declaration.series, "level": Declaration.level,
              "unit": Declaration.unit_id, "department": Declaration.department_id,
              "committee": Declaration.committee_id, "year": Declaration.year,
              "per_day": func.date(Declaration.submitted_at)}


def breakdowns(where) -> dict[str, list[tuple]]:
    """For each breakdown, one (value, declarations, decided, passed) per
    value. PostgreSQL counts them all in one pass over the declarations
    (GROUPING SETS); elsewhere each breakdown is its own GROUP BY."""
    measures = (func.count(Declaration.id), func.sum(case((Declaration.status.in_(DECIDED), 1), else_=0)),
                func.sum(case((Declaration.status == "approved", 1), else_=0)))
    if not _postgresql():
        return {key: [tuple(r) for r in db.session.execute(select(column, *measures).where(*where).group_by(column))]
                for key, column in BREAKDOWNS.items()}
    keys, columns = list(BREAKDOWNS), list(BREAKDOWNS.values())
    stmt = (select(func.grouping(*columns), *columns, *measures).where(*where)
            .group_by(func.grouping_sets(*[tuple_(column) for column in columns])))
    out = {key: [] for key in keys}
    for mask, *row in db.session.execute(stmt):
        # grouping() sets one bit for each column a row is not grouped by, the first column's highest
        i = next(i for i in range(len(keys)) if not mask >> (len(keys) - 1 - i) & 1)
        out[keys[i]].append((row[i], *row[len(keys):]))
    return out


def _in_order(value):
    return (value is None, value)   # values in order, none last


def _counts(rows, names=None) -> list[list]:
    rows = sorted(rows, key=lambda r: (-r[1], _in_order(r[0])))
    return [[(names or {}).get(key, key if key is not None else "（未填写）"), n] for key, n, *_ in rows]


def _org_counts(rows, org_names) -> list[list]:
    counts = Counter()
    for org_id, n, *_ in rows:
        counts[org_names.get(org_id, "（无）")] += n
    return [[name, n] for name, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]


def _pass_rates(rows, names) -> list[list]:
    return [[names.get(key, key), total, int(d or 0), int(p or 0), _percent(p, d)]
            for key, total, d, p in sorted(rows, key=lambda r: _in_order(r[0]))]


def _percent(part, whole) -> str:
    return f"{100 * (part or 0) / whole:.1f}%" if whole else "—"


def _postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _seconds(start, end):
    """Seconds between two timestamps, in this database's own arithmetic."""
    if _postgresql():
        return func.date_part("epoch", end - start)   # a double, cheaper to sort than extract()'s numeric
    return (func.julianday(end) - func.julianday(start)) * 86400.0


def waiting_times(where) -> tuple[list[list], list[list]]:
    """Per step and organisation: how many declarations passed through or wait
    there, the median and the longest wait in days (still waiting: until
    now); and per step, how many still wait past its time limit (超期未处理).
    Each history row knows when its wait ended, so both come from one join
    and one GROUP BY, with no window over the history."""
    now = literal(clock.now().replace(microsecond=0), AwareDateTime())
    org_of_step = case(*[(ReviewEvent.to_status == step, getattr(Declaration, column) if column else null())
                         for step, (_, column) in HOLDERS.items()], else_=null())
    days = _seconds(ReviewEvent.created_at, func.coalesce(ReviewEvent.ended_at, now)) / 86400.0
    late = case((past_limit(), 1), else_=0)
    waits = (select(ReviewEvent.to_status.label("step"), org_of_step.label("org_id"), days.label("days"),
                    late.label("late"))
             .join(Declaration, Declaration.id == ReviewEvent.declaration_id)
             .where(*where, ReviewEvent.to_status.in_(list(HOLDERS)))).subquery("waits")
    if _postgresql():
        # grouped by hashing, each group's waits gathered in an array and sorted alone for the median:
        # no sort of every wait by its group first (an ordered-set aggregate would need one)
        groups = (select(waits.c.step, waits.c.org_id, func.count().label("n"),
                         func.array_agg(waits.c.days).label("days"), func.max(waits.c.days).label("top"),
                         func.sum(waits.c.late).label("late"))
                  .group_by(waits.c.step, waits.c.org_id)).subquery("groups")
        day = func.unnest(groups.c.days).column_valued("day")
        median = select(func.percentile_cont(0.5).within_group(day)).scalar_subquery()
        grouped = select(groups.c.step, groups.c.org_id, groups.c.n, median.label("median"), groups.c.top,
                         groups.c.late).subquery("grouped")
    else:
        ranked = select(waits, func.row_number().over(partition_by=(waits.c.step, waits.c.org_id),
                                                      order_by=waits.c.days).label("rn"),
                        func.count().over(partition_by=(waits.c.step, waits.c.org_id)).label("n")).subquery("r")
        middle = ranked.c.rn.in_(((ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2))   # the middle one or two
        grouped = (select(ranked.c.step, ranked.c.org_id, func.max(ranked.c.n).label("n"),
                          func.avg(case((middle, ranked.c.days), else_=None)).label("median"),
                          func.max(ranked.c.days).label("top"), func.sum(ranked.c.late).label("late"))
                   .group_by(ranked.c.step, ranked.c.org_id)).subquery("grouped")
    stmt = (select(grouped.c.step, func.coalesce(Organisation.name, "职称办"), grouped.c.n, grouped.c.median,
                   grouped.c.top, grouped.c.late).outerjoin(Organisation, Organisation.id == grouped.c.org_id))
    order = list(HOLDERS)
    rows = sorted(db.session.execute(stmt), key=lambda r: (order.index(r[0]), -float(r[4] or 0)))
    overdue = Counter()
    for step, *_, n_late in rows:
        overdue[step] += int(n_late or 0)
    return ([[STATUS_LABELS[step], org, int(n), round(float(med or 0), 1), round(float(top or 0), 1)]
             for step, org, n, med, top, _ in rows],
            [[STATUS_LABELS[step], overdue[step]] for step in HOLDERS])


def year_on_year(rows) -> list[list]:
    out, previous = [], None
    for year, total, _, ok in sorted(rows):
        change = f"{100 * (total - previous) / previous:+.1f}%" if previous else "—"
        out.append([f"{year}年度", total, int(ok or 0), change])
        previous = total
    return out


def per_day(rows) -> list[list]:
    return [[str(day)[:10], n] for day, n, *_ in sorted(rows, key=lambda r: str(r[0])) if day is not None]


def statistics(user, f: dict, series_names: dict, level_names: dict) -> list[Table]:
    """Every table of the statistics page, in page order."""
    where = conditions(user, f)
    counted = breakdowns(where)
    org_ids = {row[0] for key in ("unit", "department", "committee") for row in counted[key]} - {None}
    org_names = dict(db.session.execute(select(Organisation.id, Organisation.name)
                                         .where(Organisation.id.in_(sorted(org_ids)))).all())
    total = sum(row[1] for row in counted["status"])
    waiting, overdue = waiting_times(where)
    tables = [
        Table("status", "按状态", ["状态", "申报数"], _counts(counted["status"], STATUS_LABELS), "pie"),
        Table("series", "按专业技术系列", ["系列", "申报数"], _counts(counted["series"], series_names)),
        Table("level", "按级别", ["级别", "申报数"], _counts(counted["level"], level_names), "pie"),
        Table("unit", "按工作单位", ["工作单位", "申报数"], _org_counts(counted["unit"], org_names)),
        Table("department", "按主管部门", ["主管部门", "申报数"], _org_counts(counted["department"], org_names)),
        Table("committee", "按评委会", ["评委会", "申报数"], _org_counts(counted["committee"], org_names)),
        Table("year", "按年度（同比）", ["年度", "申报数", "通过数", "同比变化"], year_on_year(counted["year"]),
              "line"),
        Table("pass_series", "各系列通过率", ["系列", "申报数", "已评结", "通过数", "通过率"],
              _pass_rates(counted["series"], series_names), "bar", value_col=3),
        Table("pass_level", "各级别通过率", ["级别", "申报数", "已评结", "通过数", "通过率"],
              _pass_rates(counted["level"], level_names), "bar", value_col=3),
        Table("per_day", "每日提交数", ["日期", "提交数"], per_day(counted["per_day"]), "line"),
        Table("waiting", "各环节等待时间（天）", ["环节", "机构", "件数", "中位数", "最长"], waiting, "bar",
              label_col=1, value_col=4),
        Table("overdue", "超期未处理", ["环节", "超期件数"], overdue),
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
    at = clock.now().strftime("%Y-%m-%d %H:%M:%S")
    if ttl:
        kv().set(key, json.dumps({"tables": [asdict(t) for t in tables], "at": at}, ensure_ascii=False,
                                 default=float), ttl)
    return tables, at
