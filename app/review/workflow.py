"""The review workflow (PRODUCT §4, W1–W8): states and steps written once as
data, and `perform`, the only code that changes a declaration's state.

A step is one transaction: the new state, the history row (with a snapshot
of the data at each submission), its audit row, the notification, and the version check
that makes the second of two simultaneous reviewers fail cleanly."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from flask import has_request_context, request
from sqlalchemy import event, inspect, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.declaration.completeness import completeness
from app.declaration.data import Conflict, DeclarationData
from app.platform import audit
from app.platform.extensions import db
from app.review.history import snapshot_of
from app.platform.jobs import enqueue
from app.review.notifications import DELIVER_TASK
from app.review.workdays import approval_blocker
from models import clock
from models import (
    Attachment,
    Certificate,
    CertificateCounter,
    CorrectionDeadline,
    Declaration,
    DeclarationYear,
    Notification,
    Organisation,
    ReviewEvent,
    TitleLevel,
    TitleSeries,
)
from models.registry import SECTIONS
from permissions.roles import (
    APPLICANT_ROLE,
    COMMITTEE_ROLE,
    DEPARTMENT_ROLE,
    OFFICE_ROLE,
    SYSTEM_ROLE,
    UNIT_ROLE,
)
from permissions.scopes import REVIEW_SCOPE

STATUS_LABELS = {
    "draft": "填写中",
    "unit_review": "待单位审核",
    "dept_review": "待主管部门审核",
    "committee_receive": "待评委会接收",
    "committee_review": "待评委会评审",
    "office_review": "待职称办审批",
    "approved": "已通过",
    "rejected": "评审未通过",
    "returned": "已退回",
    "publicity": "公示中",
    "overdue": "逾期未补正",
}
#: what the applicant reads (W14): plain words, never the tally or the experts
APPLICANT_LABELS = {**STATUS_LABELS, "committee_receive": "评审中", "committee_review": "评审中",
                    "office_review": "待职称办审批", "approved": "已发证"}
EDITABLE = ("draft", "returned")

#: how far a declaration has come; a reviewer sees it once it reached their stage
STAGES = {"unit_review": 1, "dept_review": 2, "committee_receive": 3, "committee_review": 3, "office_review": 4,
          "publicity": 4,
          "approved": 5, "rejected": 5}


@dataclass(frozen=True)
class Step:
    action: str
    label: str
    source: str
    target: str
    role: str
    #: a reason is required (returns, 不通过)
    reason: bool = False
    #: taken only by the system — the vote, an upheld objection, the 补正期限 schedule — never by a button
    internal: bool = False


STEPS: tuple[Step, ...] = (
    Step("submit", "提交", "draft", "unit_review", APPLICANT_ROLE),
    Step("submit", "重新提交", "returned", "unit_review", APPLICANT_ROLE),
    Step("approve", "审核通过", "unit_review", "dept_review", UNIT_ROLE),
    Step("return", "退回", "unit_review", "returned", UNIT_ROLE, reason=True),
    Step("approve", "审核通过", "dept_review", "committee_receive", DEPARTMENT_ROLE),
    Step("return", "退回", "dept_review", "returned", DEPARTMENT_ROLE, reason=True),
    Step("receive", "接收", "committee_receive", "committee_review", COMMITTEE_ROLE),
    Step("return", "退回", "committee_receive", "returned", COMMITTEE_ROLE, reason=True),
    # the committee's decision is its experts' vote (W11): closing the vote takes one of these
    Step("pass", "评审通过", "committee_review", "publicity", COMMITTEE_ROLE, internal=True),
    Step("fail", "评审不通过", "committee_review", "rejected", COMMITTEE_ROLE, reason=True, internal=True),
    Step("return", "退回", "committee_review", "returned", COMMITTEE_ROLE, reason=True),
    Step("approve", "审批通过", "office_review", "approved", OFFICE_ROLE),
    Step("return", "退回", "office_review", "returned", OFFICE_ROLE, reason=True),
    # 公示 (W12): approval once it ended with every objection closed; an upheld objection fails it
    Step("approve", "审批通过", "publicity", "approved", OFFICE_ROLE),
    Step("uphold", "异议属实", "publicity", "rejected", OFFICE_ROLE, reason=True, internal=True),
    # 补正期限 (W14): the schedule marks an unanswered return; its reviewer may reopen it
    Step("expire", "逾期未补正", "returned", "overdue", SYSTEM_ROLE, internal=True),
    *(Step("reopen", "重新开放补正", "overdue", "returned", role) for role in
      (UNIT_ROLE, DEPARTMENT_ROLE, COMMITTEE_ROLE, OFFICE_ROLE)),
)
STEP_INDEX = {(s.source, s.action): s for s in STEPS if s.action != "reopen"}


def action_label(action: str, source: str | None = None) -> str:
    """What a recorded step did, in the words of its button (审核通过, 退回, 重新提交 …):
    the 审批流程 tables show the action here and the state it led to apart."""
    step = STEP_INDEX.get((source, action)) or next((s for s in STEPS if s.action == action), None)
    return step.label if step else action


def find_step(source: str, action: str, user) -> Step | None:
    """The step for this state and action that `user` may take (reopen exists once per reviewer role)."""
    if action == "reopen":
        return next((s for s in STEPS if s.source == source and s.action == action and user is not None
                     and s.role in user.role_names), None)
    return STEP_INDEX.get((source, action))


class InvalidStep(Conflict):
    """The step is not allowed: wrong state, wrong role, or not this person's declaration."""


def steps_for(declaration: Declaration, user) -> list[Step]:
    """The steps `user` may take on `declaration` now (for the buttons)."""
    return [s for s in STEPS if s.source == declaration.status and not s.internal
            and acts_for(user, declaration, s)]


def not_yet(declaration: Declaration, step: Step) -> str | None:
    """Why a step offered to its reviewer cannot be taken today (公示 not over,
    objections open): the page shows this instead of a button that would refuse."""
    if step.source == "publicity" and step.action == "approve":
        return approval_blocker(declaration)
    return None


def acts_for(user, declaration: Declaration, step: Step) -> bool:
    if step.role == SYSTEM_ROLE:
        return user is None
    if user is None:
        return False
    roles = user.role_names
    if step.role not in roles:
        return False
    if step.role == APPLICANT_ROLE:
        return declaration.applicant_id == user.id
    if step.role == OFFICE_ROLE:
        return True
    column = REVIEW_SCOPE[step.role][1]
    return user.org_id is not None and getattr(declaration, column) == user.org_id


# -- the one function that changes a declaration's state ---------------------

def perform(declaration: Declaration, action: str, user, opinion: str = "",
            expected_version: int | None = None, *, internal: bool = False, due: date | None = None,
            commit: bool = True) -> ReviewEvent:
    """Take one step and commit it, with its history row and notification.

    `internal` is set only by the code that owns an internal step (the vote,
    objections, the schedule; `user` None for the schedule); `due` is a
    return's 补正期限; `commit=False` leaves the commit to a caller that
    changes more in the same transaction (closing a vote).

    Raises InvalidStep for a step not in the table (or not this person's),
    Conflict when someone else acted first."""
    if expected_version is not None and declaration.version != expected_version:
        raise Conflict("该申报已被他人处理，请刷新后重试")
    step = find_step(declaration.status, action, user)
    if step is None or step.internal != internal or not acts_for(user, declaration, step):
        raise InvalidStep("当前状态下不能进行此操作，请刷新后重试")
    if due is not None and (action != "return" or due <= clock.today()):
        raise InvalidStep("补正期限须晚于今天")
    blocker = not_yet(declaration, step)
    if blocker:
        raise InvalidStep(blocker)
    opinion = " ".join((opinion or "").split())[:500]
    if step.reason and not opinion:
        raise InvalidStep(f"请填写{'退回原因' if action == 'return' else '意见'}")

    session_info = db.session.info
    session_info["workflow"] = True   # the guards below let this function, and only it, change the state
    try:
        return _apply(declaration, step, user, opinion, due, commit)
    except StaleDataError:
        # Another transaction changed the declaration since it was read: the
        # version-guarded UPDATE matched no row (W7).
        db.session.rollback()
        raise Conflict("该申报已被他人处理，请刷新后重试") from None
    finally:
        session_info.pop("workflow", None)


def _apply(declaration: Declaration, step: Step, user, opinion: str, due: date | None,
           commit: bool) -> ReviewEvent:
    action = step.action
    source = declaration.status
    snapshot = None
    if action == "submit":
        data = DeclarationData(declaration)   # loaded once for the checks, the route and the snapshot
        _check_submission(declaration, data)
        _record_route(declaration, data)
        snapshot = json.dumps(snapshot_of(data), ensure_ascii=False)
    target = step.target
    if target == "dept_review" and declaration.department_id is None:
        target = "committee_receive"   # a unit directly under the bureau skips the department (W2)
    if action == "receive":
        declaration.committee_received = True
        declaration.received_date = clock.today()
    elif action == "submit":
        # a resubmission starts again at the unit: the committee has not received this one yet
        declaration.committee_received = False
        declaration.received_date = None
    if target == "approved":
        declaration.certificate_no = next_certificate_number(declaration)
        db.session.add(Certificate(declaration_id=declaration.id, number=declaration.certificate_no,
                                   issued_on=clock.today()))
    if action in ("submit", "reopen"):
        db.session.execute(update(CorrectionDeadline).where(CorrectionDeadline.declaration_id == declaration.id,
                                                            CorrectionDeadline.closed.is_(False))
                           .values(closed=True))
    if due is not None:
        db.session.add(CorrectionDeadline(declaration_id=declaration.id, due=due))
        opinion = f"{opinion}（补正期限：{due:%Y-%m-%d}）"
    declaration.status = target
    declaration.reached = max(declaration.reached or 0, STAGES.get(target, 0))
    org = getattr(user, "org", None)
    now = clock.now()
    # the wait at the previous step ends now (after the version-guarded UPDATE of the declaration,
    # which this statement flushes first, so concurrent steps never both end it)
    db.session.execute(update(ReviewEvent).where(ReviewEvent.declaration_id == declaration.id,
                                                 ReviewEvent.ended_at.is_(None)).values(ended_at=now))
    record = ReviewEvent(
        declaration_id=declaration.id, action=action, from_status=source, to_status=target,
        actor_id=user.id if user else None, actor_name=user.first_name if user else "系统",
        org_id=org.id if org else None,
        org_name=org.name if org else ("申报人" if step.role == APPLICANT_ROLE else ""), opinion=opinion,
        ip=(request.remote_addr or "") if has_request_context() else "", snapshot=snapshot, created_at=now)
    db.session.add(record)
    # W8: the step in the audit trail too, in the same transaction — who, in which role, from→to,
    # the request id and the time with its offset
    audit.record(f"workflow.{action}", f"declaration:{declaration.id}", before={"status": source},
                 after={"status": target}, actor=user if user is not None else audit.NOBODY, role=step.role)
    db.session.add(Notification(account_id=declaration.applicant_id, declaration_id=declaration.id,
                                text=_notice(declaration, step, target, org, opinion)))
    if commit:
        db.session.commit()
        enqueue(DELIVER_TASK, declaration.applicant_id)   # the SMS leaves the request path
    else:
        db.session.flush()   # inside the guard's permission; the caller commits
    return record


def _notice(declaration, step, target, org, opinion) -> str:
    year = f"您的{declaration.year}年度职称申报"
    if step.action == "submit":
        return f"{year}已提交，等待单位审核。"
    if step.action == "return":
        return f"{year}被{org.name if org else ''}退回，原因：{opinion}。请修改后重新提交。"
    if target == "approved":
        return f"{year}已审批通过，证书编号{declaration.certificate_no}，可在历年申报记录中下载电子职称证书。"
    if step.action == "fail":   # the tally stays with the committee (W14)
        return f"{year}评审未通过。"
    if target == "rejected":
        return f"{year}评审未通过。意见：{opinion}"
    if target == "publicity":
        return f"{year}已通过评委会评审，现进入公示。"
    if target == "overdue":
        return f"{year}未在补正期限内重新提交，已逾期未补正。如需继续，请联系退回您申报的审核单位。"
    return f"{year}已由{org.name if org else ''}{step.label}，当前状态：{STATUS_LABELS[target]}。"


# -- submission (W1) ---------------------------------------------------------

def _check_submission(declaration: Declaration, data: DeclarationData) -> None:
    window = db.session.scalar(select(DeclarationYear).where(DeclarationYear.year == declaration.year))
    today = clock.today()
    if window is None or not window.opens_on <= today <= window.closes_on:
        span = f"（{window.opens_on:%Y-%m-%d}至{window.closes_on:%Y-%m-%d}）" if window else ""
        raise InvalidStep(f"{declaration.year}年度不在申报时间内{span}，不能提交")
    missing = sum(len(r.gaps) for r in completeness(data))
    if missing:
        raise InvalidStep(f"还有{missing}项必填内容或附件未完成，请先在完整性检查中补齐")


def _record_route(declaration: Declaration, data: DeclarationData) -> None:
    """Unit, department and committee are fixed at each submission."""
    basic = data.single("basic")
    unit = db.session.get(Organisation, basic.unit_id)
    if unit is None or unit.kind != "unit" or not unit.active:
        raise InvalidStep("工作单位已停用或不存在，请重新选择工作单位")
    committee = find_committee(basic.series, basic.level)
    if committee is None:
        raise InvalidStep("暂无评审该系列和级别的评委会，请联系职称办")
    declaration.unit_id = unit.id
    declaration.department_id = unit.department.id if unit.department else None
    declaration.committee_id = committee.id
    declaration.series, declaration.level = basic.series, basic.level
    declaration.submitted_at = clock.now()


def find_committee(series_code: str, level_code: str) -> Organisation | None:
    return db.session.scalar(
        select(Organisation).where(Organisation.kind == "committee", Organisation.active.is_(True),
                                   Organisation.series.any(TitleSeries.code == series_code),
                                   Organisation.levels.any(TitleLevel.code == level_code))
        .order_by(Organisation.id))


# -- 证书编号 -------------------------------------------------------------------

def next_certificate_number(declaration: Declaration) -> str:
    """Year, series code and a five-digit sequence: 2026-05-00001. The counter
    row is updated in the approving transaction, so concurrent approvals queue
    on it and never get the same number."""
    key = {"year": declaration.year, "series": declaration.series}
    for _ in range(3):
        changed = db.session.execute(update(CertificateCounter).filter_by(**key)
                                     .values(last=CertificateCounter.last + 1)).rowcount
        if changed:
            last = db.session.scalar(select(CertificateCounter.last).filter_by(**key))
            return f"{declaration.year}-{declaration.series}-{last:05d}"
        try:
            with db.session.begin_nested():
                db.session.add(CertificateCounter(last=0, **key))
        except IntegrityError:
            pass  # another approval created it meanwhile; update it now
    raise Conflict("证书编号生成失败，请重试")


# -- guards: nothing changes a state, a locked declaration or the history ----

def _declaration_locked(session: Session, declaration_id: int) -> bool:
    with session.no_autoflush:
        status = session.execute(select(Declaration.status).where(Declaration.id == declaration_id)).scalar()
    return status is not None and status not in EDITABLE


@event.listens_for(Session, "before_flush")
def _guard(session: Session, flush_context, instances) -> None:
    if session.info.get("workflow"):
        return
    section_models = tuple(s.model for s in SECTIONS)
    for obj in session.new:
        if isinstance(obj, Declaration) and obj.status not in (None, "draft"):
            raise InvalidStep("新的申报只能从填写中开始")
    for obj in session.dirty:
        if isinstance(obj, Declaration):
            history = inspect(obj).attrs
            for name in ("status", "certificate_no", "committee_received", "received_date", "unit_id",
                         "department_id", "committee_id", "reached"):
                if history[name].history.has_changes():
                    raise InvalidStep("申报状态只能通过审核流程改变")
        if isinstance(obj, ReviewEvent):
            raise InvalidStep("审批记录不能修改")
    for obj in session.deleted:
        if isinstance(obj, ReviewEvent):
            raise InvalidStep("审批记录不能删除")
    for obj in [*session.new, *session.dirty, *session.deleted]:
        if isinstance(obj, (*section_models, Attachment)) and obj.declaration_id and \
                _declaration_locked(session, obj.declaration_id):
            raise Conflict("申报已提交，不能修改")
