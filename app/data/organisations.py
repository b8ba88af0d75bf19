"""The organisation tree (M1): what an organisation is used by, refusing the
delete of one in use (whatever screen or code deletes it), merging one into
another, and the tree order 职称办 → 主管部门 → 工作单位 for lists."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import event, func, or_, select, update
from sqlalchemy.orm import Session

from app.platform.audit import record
from app.platform.extensions import db
from models import Account, Declaration, Expert, Organisation
from models.registry import SECTIONS
from models.registry.fields import RefField


class OrganisationInUse(ValueError):
    """Deleting or merging would orphan declarations, accounts or units; the message says why."""


@dataclass(frozen=True)
class Usage:
    declarations: int
    accounts: int
    children: int
    experts: int = 0   # 专家库 members whose 工作单位 it is (recusal depends on it)

    @property
    def any(self) -> bool:
        return bool(self.declarations or self.accounts or self.children or self.experts)

    def __str__(self) -> str:
        parts = [f"{label}{n}{unit}" for label, n, unit in (
            ("申报", self.declarations, "份"), ("账号", self.accounts, "个"), ("下级机构", self.children, "个"),
            ("评审专家", self.experts, "名")) if n]
        return "、".join(parts)


def _chosen_columns():
    """Section columns that hold an organisation (个人基本信息's 工作单位 of a draft)."""
    return [getattr(s.model, f.name) for s in SECTIONS for f in s.stored_fields
            if isinstance(f, RefField) and f.target == "organisation"]


def usage(session: Session, org_id: int) -> Usage:
    chosen = [select(c.class_.declaration_id).where(c == org_id) for c in _chosen_columns()]
    with session.no_autoflush:
        return Usage(
            declarations=session.scalar(select(func.count(Declaration.id)).where(or_(
                Declaration.unit_id == org_id, Declaration.department_id == org_id,
                Declaration.committee_id == org_id, *[Declaration.id.in_(q) for q in chosen]))) or 0,
            accounts=session.scalar(select(func.count(Account.id)).where(Account.org_id == org_id)) or 0,
            children=session.scalar(select(func.count(Organisation.id)).where(Organisation.parent_id == org_id)) or 0,
            experts=session.scalar(select(func.count(Expert.id)).where(Expert.unit_id == org_id)) or 0,
        )


def refusal(org: Organisation, used: Usage) -> str:
    return f"“{org.name}”下有{used}，不能删除。请停用该机构，或在后台管理 → 机构中将其合并到其他机构。"


@event.listens_for(Session, "before_flush")
def _refuse_deleting_used_organisations(session: Session, flush_context, instances) -> None:
    for obj in session.deleted:
        if isinstance(obj, Organisation) and obj.id is not None:
            used = usage(session, obj.id)
            if used.any:
                raise OrganisationInUse(refusal(obj, used))


def merge_targets(source: Organisation) -> list[Organisation]:
    """Active organisations of the same kind that `source` may be merged into."""
    return list(db.session.scalars(select(Organisation).where(
        Organisation.kind == source.kind, Organisation.active.is_(True), Organisation.id != source.id)
        .order_by(Organisation.name)))


def merge(source: Organisation, target: Organisation, actor=None) -> Usage:
    """Move the declarations, accounts and child units of `source` to
    `target` and disable `source` (its history keeps its name): one
    transaction with its audit row. Returns what was moved."""
    if source.id == target.id:
        raise OrganisationInUse("不能合并到机构自身")
    if source.kind != target.kind:
        raise OrganisationInUse(f"只能合并到同类机构：“{source.name}”是{source.kind_label}，"
                                f"“{target.name}”是{target.kind_label}")
    if not target.active:
        raise OrganisationInUse(f"“{target.name}”已停用，不能作为合并目标")
    moved = usage(db.session, source.id)
    # Bulk statements: the route recorded at submission moves as a whole, outside the per-object guards.
    db.session.execute(update(Declaration).where(Declaration.unit_id == source.id)
                       .values(unit_id=target.id, department_id=target.department.id if target.department else None)
                       .execution_options(synchronize_session=False))
    for column in (Declaration.department_id, Declaration.committee_id):
        db.session.execute(update(Declaration).where(column == source.id).values({column: target.id})
                           .execution_options(synchronize_session=False))
    for column in _chosen_columns():
        db.session.execute(update(column.class_).where(column == source.id).values({column: target.id})
                           .execution_options(synchronize_session=False))
    db.session.execute(update(Account).where(Account.org_id == source.id).values(org_id=target.id)
                       .execution_options(synchronize_session=False))
    db.session.execute(update(Expert).where(Expert.unit_id == source.id).values(unit_id=target.id)
                       .execution_options(synchronize_session=False))
    db.session.execute(update(Organisation).where(Organisation.parent_id == source.id)
                       .values(parent_id=target.id).execution_options(synchronize_session=False))
    source.active = False
    record("organisation.merge", f"organisation:{source.id}",
           before={"id": source.id, "name": source.name, "kind": source.kind},
           after={"merged_into": target.id, "name": target.name, "declarations": moved.declarations,
                  "accounts": moved.accounts, "children": moved.children}, actor=actor)
    db.session.commit()
    db.session.expire_all()
    return moved


def tree(orgs) -> list[tuple[int, Organisation]]:
    """`orgs` in tree order with their depth: each parent followed by its
    children (by kind, then name); an organisation whose parent is not among
    `orgs` starts a branch of its own."""
    orgs = list(orgs)
    ids = {o.id for o in orgs}
    kids: dict[int | None, list[Organisation]] = {}
    for o in orgs:
        kids.setdefault(o.parent_id if o.parent_id in ids else None, []).append(o)
    order = {"bureau": 0, "department": 1, "committee": 2, "unit": 3}
    out: list[tuple[int, Organisation]] = []

    def walk(parent_id, depth):
        for o in sorted(kids.get(parent_id, []), key=lambda o: (order.get(o.kind, 9), o.name)):
            out.append((depth, o))
            walk(o.id, depth + 1)

    walk(None, 0)
    return out
