"""The reviewer's list as a query: what a role sees (the scope rule), which
tab, filters and search. The list page, its export and the background
export all use this one query, so an export holds what the list showed."""
from __future__ import annotations

from sqlalchemy import not_, or_, select

from app.review.workflow import STATUS_LABELS
from models import Account, Declaration, Organisation
from models.identity import normalise_id_number
from permissions.scopes import visible_declarations, waiting_for


def filtered_query(user, f: dict, search: str = ""):
    stmt = (select(Declaration, Account, Organisation)
            .join(Account, Account.id == Declaration.applicant_id)
            .outerjoin(Organisation, Organisation.id == Declaration.unit_id)
            .where(visible_declarations(user)))
    if f["tab"] == "waiting":
        stmt = stmt.where(waiting_for(user))
    elif f["tab"] == "handled":
        stmt = stmt.where(not_(waiting_for(user)))
    if f["status"] in STATUS_LABELS:
        stmt = stmt.where(Declaration.status == f["status"])
    if f["series"]:
        stmt = stmt.where(Declaration.series == f["series"])
    if f["level"]:
        stmt = stmt.where(Declaration.level == f["level"])
    if f["year"].isdigit():
        stmt = stmt.where(Declaration.year == int(f["year"]))
    if f["unit"].isdigit():
        stmt = stmt.where(Declaration.unit_id == int(f["unit"]))
    if search:
        found = normalise_id_number(search)
        stmt = stmt.where(or_(Account.first_name.contains(search), Account.id_number_is(found)))
    return stmt
