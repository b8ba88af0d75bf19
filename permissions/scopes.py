"""Which organisations a person may see and maintain — written once, used by
every list, form, dropdown and API that shows units (M1)."""
from __future__ import annotations

from sqlalchemy import and_, bindparam, exists, false, literal, or_, select, true
from sqlalchemy.orm import aliased

from models import Attachment, Declaration, Expert, ExpertConflict, GroupDeclaration, GroupExpert, Organisation, ReviewGroup
from permissions.roles import (
    ADMIN_ROLE,
    APPLICANT_ROLE,
    COMMITTEE_ROLE,
    DEPARTMENT_ROLE,
    EXPERT_ROLE,
    OFFICE_ROLE,
    UNIT_ROLE,
)

#: for each reviewer role: the review stage it works at, the declaration column
#: matched against the reviewer's organisation, and the states waiting for it
REVIEW_SCOPE = {
    UNIT_ROLE: (1, "unit_id", ("unit_review",)),
    DEPARTMENT_ROLE: (2, "department_id", ("dept_review",)),
    COMMITTEE_ROLE: (3, "committee_id", ("committee_receive", "committee_review")),
    OFFICE_ROLE: (4, None, ("office_review", "publicity")),
}


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


def written_in_sql(value):
    """A value of the code (a review stage, a list of states, an organisation
    kind) written into the SQL rather than sent as a parameter. A partial
    index (WHERE reached >= 1, WHERE status IN (…), WHERE kind = 'unit') only
    serves a condition whose value the database sees while planning; psycopg
    prepares a statement run five times on a connection, and PostgreSQL then
    plans it once for any parameters: a large unit's list sorted its whole
    history (5.5–7 ms, not about 1). Never for a value a person typed."""
    if isinstance(value, (tuple, list)):
        return bindparam(None, list(value), expanding=True, literal_execute=True)
    return literal(value, literal_execute=True)


def _roles(user) -> set[str]:
    return user.role_names if user and getattr(user, "is_authenticated", False) else set()


def visible_declarations(user):
    """SQL condition for the declarations `user` may open — used by every
    list, page, file, export and action (W5, Q4).

    applicant → their own; unit → its unit's, once submitted; department → its
    units', once a unit passed them; committee → those assigned to it, once
    passed to it; expert → those of their groups while the vote is open;
    title office → every submitted one. The system administrator manages
    accounts, units and settings, not applicants' data: none (least
    privilege), unless the same account also holds one of the roles above.
    """
    return _visible(user, experts=True)


def _visible(user, *, experts: bool):
    roles = _roles(user)
    if OFFICE_ROLE in roles:
        return Declaration.reached >= written_in_sql(1)
    conditions = []
    if APPLICANT_ROLE in roles:
        conditions.append(Declaration.applicant_id == user.id)
    for role, (stage, column, _) in REVIEW_SCOPE.items():
        if role in roles and column and user.org_id:
            conditions.append(and_(getattr(Declaration, column) == user.org_id,
                                   Declaration.reached >= written_in_sql(stage)))
    if experts and EXPERT_ROLE in roles:
        conditions.append(assigned_to_expert(user))
    return or_(*conditions) if conditions else false()


def not_recused(expert_id_column, declaration_id_column, declaration_unit_column):
    """回避 (W10): an expert never handles a declaration of their own 工作单位,
    nor one they declared a conflict for."""
    expert = aliased(Expert)   # the caller may itself select from expert
    same_unit = exists().where(expert.id == expert_id_column, expert.unit_id.is_not(None),
                               expert.unit_id == declaration_unit_column).correlate_except(expert)
    conflict = exists().where(ExpertConflict.expert_id == expert_id_column,
                              ExpertConflict.declaration_id == declaration_id_column).correlate_except(ExpertConflict)
    return ~same_unit & ~conflict


def assigned_to_expert(user):
    """An expert (评审专家) sees the declarations of the groups they were drawn
    into while the group's vote is open, never one they are recused from — in
    lists, pages, files and printouts. Once the vote closed, their work on it
    is done and so is their access."""
    assigned = (select(GroupDeclaration.declaration_id)
                .join(ReviewGroup, ReviewGroup.id == GroupDeclaration.group_id)
                .join(GroupExpert, GroupExpert.group_id == GroupDeclaration.group_id)
                .join(Expert, Expert.id == GroupExpert.expert_id)
                .where(Expert.account_id == user.id, GroupDeclaration.declaration_id == Declaration.id,
                       ReviewGroup.vote_closed_at.is_(None),
                       not_recused(Expert.id, Declaration.id, Declaration.unit_id)))
    return exists(assigned)


#: attachments that prove identity: for the applicant and the reviewers who
#: check the person, never for the experts who judge the work (W9)
IDENTITY_DOCUMENTS = ("id_card",)


def identity_visible(user):
    """SQL condition for the declarations whose full ID number and identity
    documents `user` may read: those they see other than as an expert."""
    return _visible(user, experts=False)


def visible_attachments(user):
    """SQL condition for the attachments `user` may open: those of the
    declarations they may open, but of a declaration they see only as its
    expert, never an identity document."""
    if EXPERT_ROLE not in _roles(user):
        return visible_declarations(user)
    return or_(_visible(user, experts=False),
               and_(assigned_to_expert(user), Attachment.kind.not_in(written_in_sql(IDENTITY_DOCUMENTS))))


def waiting_for(user):
    """SQL condition for the declarations waiting for `user`'s decision."""
    roles = _roles(user)
    conditions = []
    for role, (_, column, states) in REVIEW_SCOPE.items():
        if role in roles and (column is None or user.org_id):
            match = Declaration.status.in_(written_in_sql(states))
            conditions.append(match if column is None else and_(match, getattr(Declaration, column) == user.org_id))
    return or_(*conditions) if conditions else false()


def is_reviewer(user) -> bool:
    return bool(_roles(user) & set(REVIEW_SCOPE))
