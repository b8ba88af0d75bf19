"""The reviewer's list as a query: what a role sees (the scope rule), which
tab, filters and search. The list page, its count, its export and the
background export all use these conditions, so an export holds what the list
showed."""
from __future__ import annotations

import time

from sqlalchemy import func, not_, or_, select

from app.platform.extensions import db
from app.review.workflow import STATUS_LABELS
from models import Account, Declaration, Organisation
from models.identity import normalise_id_number
from permissions.scopes import visible_declarations, waiting_for

#: how long a worker keeps the list of declaration years (a new year appears once a year)
YEARS_SECONDS = 300
_years: tuple[float, list[int]] = (0.0, [])


def _conditions(user, f: dict, search: str) -> list:
    conditions = [visible_declarations(user)]
    if f["tab"] == "waiting":
        conditions.append(waiting_for(user))
    elif f["tab"] == "handled":
        conditions.append(not_(waiting_for(user)))
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
    each queue's index gives that order without sorting the queue)."""
    order = SORTS[f["sort"]]
    return (filtered_query(user, f, search)
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


def filtered_count(user, f: dict, search: str = "") -> int:
    """How many the list holds: counted on the declaration table alone (its
    queue index answers it), joining the accounts only for a name search."""
    stmt = select(func.count()).select_from(Declaration)
    if search:
        stmt = stmt.join(Account, Account.id == Declaration.applicant_id)
    return db.session.scalar(stmt.where(*_conditions(user, f, search)))


def declaration_years() -> list[int]:
    """The years declarations exist for, newest first, kept per worker for a few minutes."""
    global _years
    loaded, years = _years
    if time.monotonic() - loaded > YEARS_SECONDS:
        years = list(db.session.scalars(select(Declaration.year).distinct().order_by(Declaration.year.desc())))
        _years = (time.monotonic(), years)
    return years
