"""Checks that involve several fields or rows (they block saving), and rule
hints (B2) that are shown beside the fields and on the completeness page
but never block."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from models import clock


@dataclass
class CheckContext:
    values: dict[str, Any]        # what is being saved
    others: list                  # the section's other rows (rows sections)
    data: Any                     # the whole declaration (app.declaration.data.DeclarationData)
    lookups: Any


def end_not_before_start(start: str, end: str, message: str):
    def check(ctx: CheckContext):
        a, b = ctx.values.get(start), ctx.values.get(end)
        return {end: message} if a and b and b < a else {}
    check.__name__ = f"end_not_before_start_{start}_{end}"
    return check


def unique_year(ctx: CheckContext):
    year = ctx.values.get("year")
    if year is not None and any(row.year == year for row in ctx.others):
        return {"year": f"{year}年度已经录入，每年度只录入一条"}
    return {}


def one_row_each_before_work(ctx: CheckContext):
    kind = ctx.values.get("before_work")
    if kind and any(row.before_work == kind for row in ctx.others):
        which = "工作前学历" if kind == "是" else "工作后取得的学历"
        return {"before_work": f"{which}只能录入一条"}
    return {}


def basic_references(ctx: CheckContext):
    v, lk, errors = ctx.values, ctx.lookups, {}
    if v.get("unit_id") is not None and not lk.is_active_unit(v["unit_id"]):
        errors["unit_id"] = "请通过查询从库中选择工作单位，不能直接录入"
    if v.get("title") and not lk.title_matches(v["title"], v.get("series"), v.get("level")):
        errors["title"] = "申报专业技术资格名称与所选系列、级别不一致，请重新选择"
    return errors


def qualification_titles(ctx: CheckContext):
    v = ctx.values
    if v.get("current_title") and not ctx.lookups.title_matches(v["current_title"], v.get("current_series"),
                                                                 v.get("current_level")):
        return {"current_title": "现专业技术资格名称与现系列、级别不一致，请重新选择"}
    return {}


def effective_education_row(ctx: CheckContext):
    row_id = ctx.values.get("effective_education")
    if row_id is not None and row_id not in {row.id for row in ctx.data.rows("education")}:
        return {"effective_education": "请从已填写的学历信息中选择有效学历"}
    return {}


# -- hints (B2) ------------------------------------------------------------

def _birth(data) -> date | None:
    return data.account_birth_date


def _age(birth: date, when: date) -> int:
    return when.year - birth.year - ((when.month, when.day) < (birth.month, birth.day))


def age_at_work_start(data):
    basic, birth = data.single("basic"), _birth(data)
    if basic and basic.work_start_date and birth and _age(birth, basic.work_start_date) < 16:
        return [("work_start_date", f"按身份证出生日期，参加专业技术工作时仅{_age(birth, basic.work_start_date)}周岁，请核对")]
    return []


def age_at_graduation(data):
    birth, hints = _birth(data), []
    for row in data.rows("education"):
        if birth and row.end_date and _age(birth, row.end_date) < 14:
            hints.append(("end_date", f"按身份证出生日期，{row.school or ''}毕业时仅{_age(birth, row.end_date)}周岁，请核对"))
    return hints


def _post_year(data) -> int | None:
    q = data.single("qualification")
    return q.hired_date.year if q and q.hired_date else None


def _is_senior(data) -> bool:
    q = data.single("qualification")
    return bool(q and q.current_level and str(q.current_level).startswith("1"))


def _expected_years(data) -> list[int]:
    """The years since the current post, at most the five most recent."""
    this_year = clock.today().year
    start = max(this_year - 5, _post_year(data) or this_year - 5)
    return list(range(start, this_year))


def training_hours(data):
    minimum = 144 if _is_senior(data) else 96
    return [("hours", f"{row.year}年度继续教育{row.hours}课时，少于每年{minimum}课时的要求")
            for row in data.rows("training") if row.hours is not None and row.hours < minimum]


def training_years(data):
    return _years_hints(data, "training", "继续教育")


def assessment_years(data):
    return _years_hints(data, "assessments", "考核")


def _years_hints(data, key: str, what: str):
    if _post_year(data) is None:
        return []
    recorded = {row.year for row in data.rows(key)}
    hints = [("year", f"缺少{year}年度的{what}记录") for year in _expected_years(data) if year not in recorded]
    early = sorted(y for y in recorded if y < _post_year(data))
    if early:
        hints.append(("year", f"{'、'.join(map(str, early))}年度早于任现职时间，只需录入任现职后的{what}情况"))
    return hints
