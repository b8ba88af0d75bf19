"""公示 (W12): the passed candidates of a meeting are published for at least
PUBLICITY_WORKING_DAYS working days (weekends and the holidays the title
office enters do not count); anyone may object; the title office handles
each objection and approves only after the 公示 ended with none open."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, update

from app.declaration.data import lookups
from app.platform.audit import record
from app.platform.extensions import db
from app.review.meetings import FieldErrors, Refused
from app.review.notifications import deliver_notifications
from app.review.workdays import first_working_day, publicity_end
from app.review.workflow import perform
from models import Account, Declaration, GroupDeclaration, Meeting, Objection, ReviewGroup, clock
from models.identity import normalise_text

OBJECTION_STATES = {"open": "待处理", "dismissed": "不予采纳", "upheld": "异议属实"}


def publish(user, meeting: Meeting, start: date | None = None) -> date:
    """Start the 公示 of a voted meeting on the first working day from `start` (default today)."""
    if meeting.committee_id != user.org_id:
        raise Refused("只能公示本评委会的会议")
    if meeting.status != "voted":
        raise Refused("表决尚未全部结束，不能公示")
    if meeting.publicity_from is not None:
        raise Refused("该会议的评审结果已公示")
    start = start or clock.today()
    if start < clock.today():
        raise Refused("公示开始日期不能早于今天")
    meeting.publicity_from = first_working_day(start)
    record("publicity.publish", f"meeting:{meeting.id}", after={"from": meeting.publicity_from})
    db.session.commit()
    return meeting.publicity_from


@dataclass
class Candidate:
    declaration_id: int
    name: str
    unit: str
    series: str
    level: str
    title: str


def candidates(meeting: Meeting) -> list[Candidate]:
    """The passed candidates, with only what the public page shows (no ID, no phone)."""
    from app.declaration.data import DeclarationData

    rows = db.session.execute(
        select(Declaration, Account).join(GroupDeclaration, GroupDeclaration.declaration_id == Declaration.id)
        .join(ReviewGroup, ReviewGroup.id == GroupDeclaration.group_id)
        .join(Account, Account.id == Declaration.applicant_id)
        .where(ReviewGroup.meeting_id == meeting.id, GroupDeclaration.passed.is_(True))
        .order_by(Declaration.id)).all()
    lk = lookups()
    out = []
    for declaration, account in rows:
        basic = DeclarationData(declaration).single("basic")
        out.append(Candidate(declaration.id, account.first_name, declaration.unit.name if declaration.unit else "",
                             lk.name("title_series", declaration.series), lk.name("title_level", declaration.level),
                             lk.name("title_name", basic.title) if basic else ""))
    return out


def current_publicities(today: date | None = None) -> list[tuple[Meeting, date]]:
    today = today or clock.today()
    out = []
    for meeting in db.session.scalars(select(Meeting).where(Meeting.publicity_from.is_not(None),
                                                            Meeting.publicity_from <= today)
                                      .order_by(Meeting.publicity_from.desc())):
        end = publicity_end(meeting)
        if today <= end:
            out.append((meeting, end))
    return out


def in_publicity(meeting: Meeting, declaration_id: int, today: date | None = None) -> bool:
    today = today or clock.today()
    end = publicity_end(meeting)
    if end is None or not meeting.publicity_from <= today <= end:
        return False
    return any(c.declaration_id == declaration_id for c in candidates(meeting)) and \
        db.session.scalar(select(Declaration.status).where(Declaration.id == declaration_id)) == "publicity"


def objection_errors(meeting_id: int, declaration_id: int, contact: str, reason: str) -> dict:
    """Every wrong field of an objection at once (candidate, contact, reason → message)."""
    errors = {}
    if not meeting_id or not declaration_id:
        errors["candidate"] = "请选择异议对象"
    else:
        meeting = db.session.get(Meeting, meeting_id)
        if meeting is None or not in_publicity(meeting, declaration_id):
            errors["candidate"] = "该人员不在公示期内，不能提出异议"
    if not normalise_text(contact):
        errors["contact"] = "请填写联系方式"
    reason = (reason or "").strip()
    if len(reason) < 10:
        errors["reason"] = "异议理由不少于10个字"
    elif len(reason) > 2000:
        errors["reason"] = "异议理由不能超过2000字"
    return errors


def file_objection(meeting_id: int, declaration_id: int, contact: str, reason: str, ip: str) -> Objection:
    errors = objection_errors(meeting_id, declaration_id, contact, reason)
    if errors:
        raise FieldErrors(errors)
    meeting = db.session.get(Meeting, meeting_id)
    contact, reason = normalise_text(contact)[:100], (reason or "").strip()
    objection = Objection(meeting_id=meeting.id, declaration_id=declaration_id, contact=contact, reason=reason,
                          ip=ip)
    db.session.add(objection)
    db.session.commit()
    return objection


def handle_objection(user, objection_id: int, decision: str, note: str) -> Objection:
    """The title office records how an objection was handled; an upheld one fails the declaration."""
    if decision not in ("dismissed", "upheld"):
        raise Refused("请选择处理结果")
    note = " ".join((note or "").split())[:500]
    if not note:
        raise Refused("请填写处理意见")
    changed = db.session.execute(update(Objection).where(Objection.id == objection_id, Objection.status == "open")
                                 .values(status=decision, handling=note, handled_by=user.id,
                                         handled_at=clock.now())).rowcount
    if not changed:
        db.session.rollback()
        raise Refused("该异议已处理，不能重复处理")
    objection = db.session.get(Objection, objection_id)
    declaration = db.session.get(Declaration, objection.declaration_id)
    if decision == "upheld" and declaration.status == "publicity":
        perform(declaration, "uphold", user, f"公示期间异议属实：{note}", internal=True, commit=False)
    record("publicity.objection", f"objection:{objection_id}", after={"decision": decision, "note": note})
    db.session.commit()
    deliver_notifications(declaration.applicant_id)
    return objection
