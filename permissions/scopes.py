"""Which organisations a person may see and maintain — written once, used by
every list, form, dropdown and API that shows units (M1)."""
from __future__ import annotations

from sqlalchemy import false, true

from models import Declaration, Organisation
from permissions.roles import ADMIN_ROLE, DEPARTMENT_ROLE, OFFICE_ROLE


def maintainable_units(user):
    """SQL condition for the units `user` may list, open and edit."""
    roles = user.role_names if user and getattr(user, "is_authenticated", False) else set()
    if roles & {ADMIN_ROLE, OFFICE_ROLE}:
        return Organisation.kind == "unit"
    if DEPARTMENT_ROLE in roles and user.org_id:
        return (Organisation.kind == "unit") & (Organisation.parent_id == user.org_id)
    return false()


def assignable_parents(user):
    """Where `user` may put a unit: its own department, or (bureau staff) any
    department or the bureau itself."""
    roles = user.role_names if user and getattr(user, "is_authenticated", False) else set()
    if roles & {ADMIN_ROLE, OFFICE_ROLE}:
        return Organisation.kind.in_(("department", "bureau")) & Organisation.active.is_(true())
    if DEPARTMENT_ROLE in roles and user.org_id:
        return Organisation.id == user.org_id
    return false()


def visible_declarations(user):
    """SQL condition for the declarations `user` may open. An applicant sees
    only their own."""
    if not (user and getattr(user, "is_authenticated", False)):
        return false()
    return Declaration.applicant_id == user.id
