"""补正期限 (W14): a return may carry a deadline; a scheduled task turns a
declaration not resubmitted by then into 逾期未补正 (the step notifies the
applicant in the app and by SMS); its reviewer may reopen it."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from app.platform.extensions import db
from app.platform.jobs import task
from app.review.workflow import perform
from models import CorrectionDeadline, Declaration, ReviewEvent, clock


def open_deadline(declaration: Declaration) -> CorrectionDeadline | None:
    return db.session.scalar(select(CorrectionDeadline).where(
        CorrectionDeadline.declaration_id == declaration.id, CorrectionDeadline.closed.is_(False))
        .order_by(CorrectionDeadline.id.desc()))


def return_notice(declaration: Declaration | None) -> dict | None:
    """For a returned (or overdue) declaration: who returned it, why, and its
    补正期限 — shown to the applicant wherever the status is (home, 审批流程)."""
    if declaration is None or declaration.status not in ("returned", "overdue"):
        return None
    event = db.session.scalar(select(ReviewEvent).where(
        ReviewEvent.declaration_id == declaration.id, ReviewEvent.action == "return")
        .order_by(ReviewEvent.id.desc()))
    if event is None:
        return None
    deadline = open_deadline(declaration)
    due = deadline.due if deadline is not None else None
    opinion = event.opinion
    if due is not None:     # the return's opinion carries its deadline too: shown once, on its own line
        opinion = opinion.removesuffix(f"（补正期限：{due:%Y-%m-%d}）")
    return {"org_name": event.org_name, "actor_name": event.actor_name, "opinion": opinion, "due": due,
            "overdue": declaration.status == "overdue"}


@task("review.mark_overdue", every=timedelta(hours=1))
def mark_overdue(today: date | None = None) -> int:
    """Mark every returned declaration whose 补正期限 passed; returns how many."""
    today = today or clock.today()
    due = db.session.scalars(select(CorrectionDeadline).join(Declaration, Declaration.id ==
                                                             CorrectionDeadline.declaration_id)
                             .where(CorrectionDeadline.closed.is_(False), CorrectionDeadline.due < today,
                                    Declaration.status == "returned")).all()
    done = 0
    for deadline in due:
        declaration = db.session.get(Declaration, deadline.declaration_id)
        deadline.expired_at, deadline.closed = clock.now(), True
        perform(declaration, "expire", None, f"补正期限{deadline.due:%Y-%m-%d}已过，未重新提交", internal=True)
        done += 1
    return done
