"""Reviewer time limits: how long each declaration has waited at its step,
in working days (Monday to Friday), which ones are overdue, and the daily
reminder to the organisations that hold them."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import and_, case, exists, func, literal, null, select
from sqlalchemy.exc import IntegrityError

from app.declaration.data import dictionaries
from app.platform.extensions import db
from app.platform.jobs import task
from app.review.notifications import deliver_notifications
from app.review.workflow import STATUS_LABELS
from models import Account, Declaration, Notification, OverdueReminder, ReviewEvent, clock
from permissions.roles import COMMITTEE_ROLE, DEPARTMENT_ROLE, OFFICE_ROLE, UNIT_ROLE

#: used for a step that has no row in step_time_limit
DEFAULT_LIMITS = {"unit_review": 5, "dept_review": 5, "committee_receive": 5, "committee_review": 20,
                  "office_review": 10}
#: who holds a declaration at each step: the role and the declaration's column naming the organisation
HOLDERS = {
    "unit_review": (UNIT_ROLE, "unit_id"),
    "dept_review": (DEPARTMENT_ROLE, "department_id"),
    "committee_receive": (COMMITTEE_ROLE, "committee_id"),
    "committee_review": (COMMITTEE_ROLE, "committee_id"),
    "office_review": (OFFICE_ROLE, None),
}


def limits() -> dict[str, int]:
    return {**DEFAULT_LIMITS, **dictionaries().step_limits}


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end`."""
    if end <= start:
        return 0
    weeks, rest = divmod((end - start).days, 7)
    days = weeks * 5
    for offset in range(1, rest + 1):
        if (start + timedelta(days=offset)).weekday() < 5:
            days += 1
    return days


def cutoff(days: int, today: date | None = None) -> datetime:
    """A declaration that entered its step before this moment has waited more
    than `days` working days by the end of `today`."""
    day = today or clock.today()
    counted = 0
    while counted < days:
        day -= timedelta(days=1)
        if day.weekday() < 5:
            counted += 1
    # entering on `day` itself still leaves exactly `days` working days
    return clock.start_of(day)


def past_limit(today: date | None = None):
    """SQL condition on a history row: its wait has not ended, and began
    before its step's own cut-off (never true at a step without a limit)."""
    limit = case(*[(ReviewEvent.to_status == status, literal(cutoff(days, today)))
                   for status, days in limits().items() if status in HOLDERS], else_=null())
    return and_(ReviewEvent.ended_at.is_(None), ReviewEvent.created_at < limit)


def overdue_condition(today: date | None = None):
    """SQL condition: waiting at a step for longer than that step's limit.
    Declarations at a step are picked first (indexed status), then their open
    history row (the one whose wait has not ended) is compared with that
    step's cut-off: one semi-join, not a search of each one's history."""
    late = exists().where(ReviewEvent.declaration_id == Declaration.id, past_limit(today))
    return and_(Declaration.status.in_(list(HOLDERS)), late)


def overdue_by_holder(today: date | None = None) -> list[tuple[str, int | None, int]]:
    """(step, organisation id or None for the title office, count) of overdue declarations."""
    rows = []
    for status, (_, column) in HOLDERS.items():
        group = getattr(Declaration, column) if column else None
        cols = [group] if group is not None else []
        stmt = (select(*cols, func.count(Declaration.id))
                .where(Declaration.status == status, overdue_condition(today)))
        if cols:
            stmt = stmt.group_by(group)
        for row in db.session.execute(stmt):
            count = row[-1]
            if count:
                rows.append((status, row[0] if cols else None, count))
    return rows


def _reviewers(role: str, org_id: int | None) -> list[Account]:
    """The active accounts holding `role` (for an organisation, those of it)."""
    stmt = select(Account).where(Account.active.is_(True), Account.roles.any(name=role))
    if org_id is not None:
        stmt = stmt.where(Account.org_id == org_id)
    return db.session.scalars(stmt).all()


@task("remind-overdue", every=timedelta(days=1))
def remind_overdue(today: date | None = None) -> int:
    """Tell every reviewer of an organisation holding overdue declarations, in
    我的消息 and by SMS: one message a day per reviewer, naming every overdue
    step they hold. The day's row in overdue_reminder (unique per reviewer and
    day) is written in the message's transaction, so a later run that day —
    in this process or another, with more declarations overdue — adds nothing."""
    today = today or clock.today()
    table = limits()
    lines: dict[int, list[str]] = {}
    for status, org_id, count in overdue_by_holder(today):
        for account in _reviewers(HOLDERS[status][0], org_id):
            lines.setdefault(account.id, []).append(
                f"{count}条申报{STATUS_LABELS[status]}已超过处理时限（{table[status]}个工作日）")
    reminded = set(db.session.scalars(select(OverdueReminder.account_id).where(
        OverdueReminder.day == today, OverdueReminder.account_id.in_(list(lines))))) if lines else set()
    notified = []
    for account_id, parts in lines.items():
        if account_id in reminded:
            continue
        try:
            with db.session.begin_nested():
                db.session.add(OverdueReminder(account_id=account_id, day=today))
                db.session.add(Notification(account_id=account_id,
                                            text=f"您所在机构有{'；'.join(parts)}，请尽快处理。"))
        except IntegrityError:
            continue    # another process reminded this reviewer today
        notified.append(account_id)
    db.session.commit()
    for account_id in notified:
        deliver_notifications(account_id)
    return len(notified)


def waiting_marks(rows, today: date | None = None) -> dict[int, tuple[int, bool]]:
    """For the list pages (rows with `id`, `status` and `step_since`, when
    their last step began: see page_query): declaration id → (working days
    waited, overdue?), for those waiting at a step."""
    table = limits()
    today = today or clock.today()
    out = {}
    for row in rows:
        if row.status in HOLDERS and row.step_since is not None:
            days = working_days_between(row.step_since.date(), today)
            out[row.id] = (days, days > table.get(row.status, 10 ** 6))
    return out
