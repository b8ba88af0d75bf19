"""The reviewer's list as a query: what a role sees (the scope rule), which
tab, filters and search. The list page, its count, its export and the
background export all use these conditions, so an export holds what the list
showed."""
from __future__ import annotations

import time

from sqlalchemy import and_, func, not_, or_, select
from sqlalchemy.orm import joinedload

from app.platform.extensions import db
from app.review.workflow import STATUS_LABELS
from models import Account, Declaration, Organisation, ReviewEvent
from models.identity import normalise_id_number
from permissions.scopes import visible_declarations, waiting_for

#: how long a worker keeps the list of declaration years (a new year appears once a year)
YEARS_SECONDS = 300
_years: tuple[float, list[int]] = (0.0, [])


#: a declaration with its applicant (built once, like the other statements with loader options)
_WITH_APPLICANT = select(Declaration).options(joinedload(Declaration.applicant))


def visible_declaration(user, declaration_id: int) -> Declaration | None:
    """One declaration with its applicant, if `user` may open it (the scope rule)."""
    return db.session.scalar(_WITH_APPLICANT.where(Declaration.id == declaration_id, visible_declarations(user)))


def _tab(user, f: dict) -> list:
    """What the chosen tab adds to the scope rule: 待处理, 已处理 or 全部."""
    if f["tab"] == "waiting":
        return [waiting_for(user)]
    if f["tab"] == "handled":
        return [not_(waiting_for(user))]
    return []


def _narrowing(f: dict, search: str) -> list:
    """The filters and the name or ID number search."""
    conditions = []
    if f["status"] in STATUS_LABELS:
        conditions.append(Declaration.status == f["status"])
    if f["series"]:
        conditions.append(Declaration.series == f["series"])
    if f["level"]:
        conditions.append(Declaration.level == f["level"])
    if f["year"].isdigit() and len(f["year"]) == 4:
        conditions.append(Declaration.year == int(f["year"]))
    if f["unit"].isdigit() and len(f["unit"]) <= 9:
        conditions.append(Declaration.unit_id == int(f["unit"]))
    if search:
        found = normalise_id_number(search)
        conditions.append(or_(Account.first_name.contains(search), Account.id_number_is(found)))
    return conditions


def _conditions(user, f: dict, search: str) -> list:
    return [visible_declarations(user), *_tab(user, f), *_narrowing(f, search)]


def filtered_query(user, f: dict, search: str = ""):
    """The list page's rows: the shown columns only, as plain rows (a page of
    ORM objects with their accounts cost more than the page's own SQL)."""
    return (select(Declaration.id, Declaration.status, Declaration.series, Declaration.level, Declaration.year,
                   Declaration.submitted_at, Account.first_name, Account.id_number,
                   Organisation.name.label("unit_name"))
            .join(Account, Account.id == Declaration.applicant_id)
            .outerjoin(Organisation, Organisation.id == Declaration.unit_id)
            .where(*_conditions(user, f, search)))


#: rows on one page of a reviewer's list, and the columns it can be sorted by
PAGE_SIZE = 20
SORTS = {
    "submitted": Declaration.submitted_at,
    "name": Account.first_name,
    "status": Declaration.status,
    "unit": Organisation.name,
}


def page_query(user, f: dict, search: str, page: int):
    """One page of the list in the chosen order (newest first by default:
    each queue's index gives that order without sorting the queue), with
    when each row's last step began (已等待), read for the page's rows only."""
    order = SORTS[f["sort"]]
    since = (select(func.max(ReviewEvent.created_at)).where(ReviewEvent.declaration_id == Declaration.id)
             .scalar_subquery())
    return (filtered_query(user, f, search).add_columns(since.label("step_since"))
            .order_by(order.desc() if f["desc"] else order.asc(), Declaration.id.desc())
            .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE))


def export_query(user, f: dict, search: str = ""):
    """The same list as plain rows of the exported columns only (no ORM
    objects: a large export streams them with yield_per)."""
    return (select(Account.first_name, Account.id_number, Account.phone, Organisation.name.label("unit_name"),
                   Declaration.series, Declaration.level, Declaration.year, Declaration.status,
                   Declaration.submitted_at, Declaration.certificate_no)
            .join(Account, Account.id == Declaration.applicant_id)
            .outerjoin(Organisation, Organisation.id == Declaration.unit_id)
            .where(*_conditions(user, f, search))
            .order_by(Declaration.submitted_at.desc(), Declaration.id.desc()))


def list_counts(user, f: dict, search: str = "") -> tuple[int, int]:
    """How many the list holds and how many wait for `user` (the 待处理 tab),
    in one pass over the declaration table: the rows scanned are those the
    list's own count needs (its queue index answers it), joining the accounts
    only for a name search."""
    waiting, narrowing = waiting_for(user), _narrowing(f, search)
    if f["tab"] == "waiting":
        scanned, listed, waiting_count = [waiting], narrowing, func.count()
    else:
        scanned, listed, waiting_count = [], [*_tab(user, f), *narrowing], func.count().filter(waiting)
    stmt = (select(func.count().filter(and_(*listed)) if listed else func.count(), waiting_count)
            .select_from(Declaration).where(visible_declarations(user), *scanned))
    if search:
        stmt = stmt.join(Account, Account.id == Declaration.applicant_id)
    return tuple(db.session.execute(stmt).one())


def declaration_years() -> list[int]:
    """The years declarations exist for, newest first, kept per worker for a few minutes."""
    global _years
    loaded, years = _years
    if time.monotonic() - loaded > YEARS_SECONDS:
        years = list(db.session.scalars(select(Declaration.year).distinct().order_by(Declaration.year.desc())))
        _years = (time.monotonic(), years)
    return years
