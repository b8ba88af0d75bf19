"""Declarations placed directly at a state, with their history rows, for the
statistics and time-limit tests (the workflow itself is tested in tests/review)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from app.platform.extensions import db
from models import Account, Declaration, Organisation, ReviewEvent

ROUTE = ("unit_review", "dept_review", "committee_receive", "committee_review", "office_review")
STAGE = {"unit_review": 1, "dept_review": 2, "committee_receive": 3, "committee_review": 3, "office_review": 4,
         "approved": 5, "rejected": 5, "returned": 1}


def org(name: str) -> Organisation:
    return db.session.scalar(select(Organisation).where(Organisation.name == name))


def place(n: int, status: str, entered: datetime, *, path=(), series="05", level="12", year=None,
          unit="天津百利机械装备集团有限公司", department="天津市工业和信息化局",
          committee="天津市工程技术高级评委会", submitted: datetime | None = None) -> Declaration:
    """Declaration number `n` (its own applicant) at `status` since `entered`;
    `path` gives earlier (state, since) steps of its history."""
    applicant = Account(username=f"t{n:06d}", first_name=f"申报人{n}", last_name="", email=f"t{n}@example.com",
                        active=True, password="pbkdf2:sha256:1$x$x", id_number=f"1201011990{n:08d}"[:18])
    db.session.add(applicant)
    db.session.flush()
    u, d, c = org(unit), org(department) if department else None, org(committee)
    declaration = Declaration(
        applicant_id=applicant.id, year=year or entered.year, status=status, series=series, level=level,
        unit_id=u.id, department_id=d.id if d else None, committee_id=c.id, reached=STAGE[status],
        submitted_at=submitted or entered, certificate_no=f"{entered.year}-{series}-{n:05d}"
        if status == "approved" else None)
    db.session.info["workflow"] = True   # placing a state directly, as the workflow would have
    try:
        db.session.add(declaration)
        db.session.flush()
        source = "draft"
        steps = [*path, (status, entered)]
        for (target, at), ended in zip(steps, [at for _, at in steps[1:]] + [None]):
            db.session.add(ReviewEvent(declaration_id=declaration.id, action="step", from_status=source,
                                       to_status=target, actor_name="测试", created_at=at, ended_at=ended))
            source = target
        db.session.commit()
    finally:
        db.session.info.pop("workflow", None)
    return declaration
