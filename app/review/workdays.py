"""Working days and the 公示 period (W13): weekends and the holidays the title
office enters do not count. Also why a declaration in 公示 may not be approved
yet — the workflow asks before its approval step."""
from __future__ import annotations

from datetime import date, timedelta

from flask import current_app
from sqlalchemy import func, select

from app.platform.extensions import db
from models import Declaration, GroupDeclaration, Holiday, Meeting, Objection, ReviewGroup, clock


def holidays_between(start: date, end: date) -> set[date]:
    return set(db.session.scalars(select(Holiday.day).where(Holiday.day >= start, Holiday.day <= end)))


def is_working_day(day: date, holidays: set[date]) -> bool:
    return day.weekday() < 5 and day not in holidays


def first_working_day(start: date) -> date:
    holidays = holidays_between(start, start + timedelta(days=60))
    day = start
    while not is_working_day(day, holidays):
        day += timedelta(days=1)
    return day


def last_day(start: date, working_days: int) -> date:
    """The `working_days`-th working day counting `start` (itself a working day) as the first."""
    holidays = holidays_between(start, start + timedelta(days=working_days * 3 + 60))
    day, counted = start, 0
    while True:
        if is_working_day(day, holidays):
            counted += 1
            if counted == working_days:
                return day
        day += timedelta(days=1)


def publicity_end(meeting: Meeting) -> date | None:
    if meeting.publicity_from is None:
        return None
    return last_day(meeting.publicity_from, current_app.config["PUBLICITY_WORKING_DAYS"])


def approval_blocker(declaration: Declaration) -> str | None:
    """Why the title office may not approve a declaration in 公示 yet (None: it may)."""
    meeting = db.session.scalar(select(Meeting).join(ReviewGroup).join(GroupDeclaration).where(
        GroupDeclaration.declaration_id == declaration.id, GroupDeclaration.passed.is_(True))
        .order_by(Meeting.id.desc()))
    end = publicity_end(meeting) if meeting else None
    if end is None:
        return "该申报尚未公示，不能审批"
    if clock.today() <= end:
        return f"公示期至{end:%Y-%m-%d}，公示结束后方可审批"
    open_objections = db.session.scalar(select(func.count(Objection.id)).where(
        Objection.declaration_id == declaration.id, Objection.status == "open"))
    if open_objections:
        return f"尚有{open_objections}条异议未处理，处理完毕后方可审批"
    return None
