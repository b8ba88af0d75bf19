"""评审会议 (W10): meetings of a committee, their 评审组 by 专业, the
declarations put into each group, the recorded draw of experts with
recusal (回避), attendance and the quorum, and the experts' opinions."""
from __future__ import annotations

import json
import math
import random
import secrets
from datetime import date
from fractions import Fraction

from flask import current_app
from sqlalchemy import exists, select

from app.declaration.data import Conflict
from app.platform.audit import record
from app.platform.extensions import db
from app.platform.jobs import enqueue
from app.review.notifications import DELIVER_TASK
from models import clock
from models import (
    Declaration,
    Expert,
    ExpertConflict,
    ExpertDraw,
    GroupDeclaration,
    GroupExpert,
    Meeting,
    Notification,
    ReviewGroup,
    ReviewOpinion,
    VoteCast,
    expert_committee,
)
from permissions.scopes import not_recused


class Refused(Conflict):
    """A committee action that is not allowed now; the message says why."""


def _share(text: str | float | None, label: str) -> Fraction:
    """A share written "2/3", "0.75" or "75%", in (0, 1]."""
    raw = str(text if text is not None else "").strip().replace("／", "/").replace("％", "%")
    try:
        value = Fraction(raw[:-1]) / 100 if raw.endswith("%") else Fraction(raw)
    except (ValueError, ZeroDivisionError):
        raise Refused(f"{label}格式不正确，请填写如 2/3 或 0.75") from None
    if not 0 < value <= 1:
        raise Refused(f"{label}须大于0且不超过1")
    return value


def minimum_share() -> Fraction:
    """The lowest 通过比例 and quorum allowed (《职称评审管理暂行规定》: at least 2/3
    of the experts attend, and a title passes with at least 2/3 of those present)."""
    return _share(current_app.config["REVIEW_MINIMUM_SHARE"], "最低比例")


def parse_threshold(text: str | float | None, label: str = "通过比例") -> float:
    """通过比例 (or the quorum) as "2/3", "0.75" or "75%": in (0, 1] and not below the minimum."""
    value, least = _share(text, label), minimum_share()
    if value < least:
        raise Refused(f"{label}不能低于{_fraction_text(least)}")
    return float(value)


def minimum_share_text() -> str:
    return _fraction_text(minimum_share())


def _fraction_text(value: Fraction) -> str:
    value = value.limit_denominator(100)
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"


def check_review_shares(config) -> None:
    """At start-up: the configured default 通过比例 and quorum respect the minimum."""
    least = _share(config["REVIEW_MINIMUM_SHARE"], "REVIEW_MINIMUM_SHARE")
    for key in ("REVIEW_PASS_THRESHOLD", "REVIEW_QUORUM"):
        if _share(config[key], key) < least:
            raise RuntimeError(f"{key}={config[key]} is below REVIEW_MINIMUM_SHARE={config['REVIEW_MINIMUM_SHARE']}")


def default_threshold() -> float:
    return parse_threshold(current_app.config["REVIEW_PASS_THRESHOLD"])


class FieldErrors(Refused):
    """Every wrong field of a form at once (field name → message), each shown beside its field."""

    def __init__(self, errors: dict):
        super().__init__("请修改标红的项目")
        self.errors = errors


def meeting_errors(name: str | None, place: str | None, threshold) -> dict:
    """What is wrong with a new meeting's name, place and 通过比例, all at once."""
    errors = {}
    if not (name or "").strip():
        errors["name"] = "请填写会议名称"
    if not (place or "").strip():
        errors["place"] = "请填写会议地点"
    try:
        parse_threshold(threshold)
    except Refused as exc:
        errors["threshold"] = str(exc)
    return errors


def create_meeting(user, *, year: int, name: str, held_on: date, place: str, threshold) -> Meeting:
    errors = meeting_errors(name, place, threshold)
    if errors:
        raise FieldErrors(errors)
    name, place = (name or "").strip()[:100], (place or "").strip()[:100]
    meeting = Meeting(committee_id=user.org_id, year=year, name=name, held_on=held_on, place=place,
                      threshold=parse_threshold(threshold))
    db.session.add(meeting)
    db.session.flush()
    record("meeting.create", f"meeting:{meeting.id}", after={"name": name, "threshold": meeting.threshold})
    db.session.commit()
    return meeting


def meeting_of(user, meeting_id: int) -> Meeting | None:
    """A meeting of the committee `user` acts for (None otherwise)."""
    return db.session.scalar(select(Meeting).where(Meeting.id == meeting_id, Meeting.committee_id == user.org_id))


def group_of(user, group_id: int) -> ReviewGroup | None:
    return db.session.scalar(select(ReviewGroup).join(Meeting).where(
        ReviewGroup.id == group_id, Meeting.committee_id == user.org_id))


def _preparing(meeting: Meeting) -> None:
    if meeting.status != "preparing":
        raise Refused("会议已开始，不能再调整分组和专家")


def add_group(meeting: Meeting, *, name: str, series: str, major: str, size: int) -> ReviewGroup:
    _preparing(meeting)
    name, major = (name or "").strip()[:50], (major or "").strip()[:50]
    if not name or not major or not series:
        raise Refused("请填写评审组名称、系列和专业")
    if not 3 <= size <= 25:
        raise Refused("评审组专家人数须在3至25人之间")
    group = ReviewGroup(meeting=meeting, name=name, series=series, major=major, size=size)
    db.session.add(group)
    db.session.flush()
    record("meeting.add_group", f"group:{group.id}", after={"meeting": meeting.id, "name": name, "series": series,
                                                           "major": major, "size": size})
    db.session.commit()
    return group


def waiting_declarations(meeting: Meeting):
    """Received declarations of the meeting's committee and year not yet in a group with an open vote."""
    in_group = exists().where(GroupDeclaration.declaration_id == Declaration.id, GroupDeclaration.passed.is_(None))
    return db.session.scalars(select(Declaration).where(
        Declaration.committee_id == meeting.committee_id, Declaration.year == meeting.year,
        Declaration.status == "committee_review", ~in_group).order_by(Declaration.id)).all()


def put_into_group(group: ReviewGroup, declaration_ids: list[int]) -> int:
    _preparing(group.meeting)
    allowed = {d.id for d in waiting_declarations(group.meeting)}
    wrong = [i for i in declaration_ids if i not in allowed]
    if wrong or not declaration_ids:
        raise Refused("只能将本评委会已接收、尚未分组的申报分入评审组" if wrong else "请先勾选申报")
    for declaration_id in declaration_ids:
        db.session.add(GroupDeclaration(group_id=group.id, declaration_id=declaration_id))
    record("meeting.assign", f"group:{group.id}", after={"declarations": sorted(declaration_ids)})
    db.session.commit()
    return len(declaration_ids)


def candidates_for(group: ReviewGroup) -> list[Expert]:
    """Available experts of the committee for the group's series and 专业, not in
    another group of the meeting, and recused from none of the group's declarations."""
    meeting = group.meeting
    taken = select(GroupExpert.expert_id).join(ReviewGroup).where(ReviewGroup.meeting_id == meeting.id)
    recused = (select(GroupDeclaration.id).join(Declaration, Declaration.id == GroupDeclaration.declaration_id)
               .where(GroupDeclaration.group_id == group.id, ~not_recused(Expert.id, Declaration.id,
                                                                          Declaration.unit_id)))
    return db.session.scalars(select(Expert).join(expert_committee).where(
        expert_committee.c.organisation_id == meeting.committee_id, Expert.available.is_(True),
        Expert.series == group.series, Expert.major == group.major, Expert.id.not_in(taken),
        ~exists(recused)).order_by(Expert.id)).all()


def draw(group: ReviewGroup, user, *, chosen_ids: list[int] | None = None, seed: str | None = None) -> ExpertDraw:
    """Draw the group's experts at random (or take those chosen by hand) and record the draw."""
    _preparing(group.meeting)
    if group.members:
        raise Refused("该评审组已抽取专家，不能重复抽取")
    if not group.entries:
        raise Refused("请先将申报分入该评审组，再抽取专家（以便回避）")
    pool = candidates_for(group)
    by_id = {e.id: e for e in pool}
    if chosen_ids is not None:
        if not chosen_ids or any(i not in by_id for i in chosen_ids):
            raise Refused("只能从可用且无须回避的专家中选择")
        chosen, method, seed = [by_id[i] for i in dict.fromkeys(chosen_ids)], "manual", ""
    else:
        if len(pool) < group.size:
            raise Refused(f"符合条件的专家只有{len(pool)}人，少于评审组人数{group.size}人，请手工选择或调整")
        seed = seed or secrets.token_hex(8)
        chosen = random.Random(seed).sample(pool, group.size)  # nosec B311 - replayable from its recorded secret seed
        method = "random"
    for expert in chosen:
        db.session.add(GroupExpert(group_id=group.id, expert_id=expert.id, how=method))
    drawn = ExpertDraw(group_id=group.id, drawn_by=user.id, drawn_by_name=user.first_name, method=method, seed=seed,
                       candidates=json.dumps([[e.id, e.name] for e in pool], ensure_ascii=False),
                       chosen=json.dumps([[e.id, e.name] for e in chosen], ensure_ascii=False))
    db.session.add(drawn)
    record("meeting.draw", f"group:{group.id}", after={"method": method, "seed": seed,
                                                      "chosen": [e.id for e in chosen]})
    # the drawn experts learn of it in 我的消息 (same transaction) and by SMS once the draw committed
    told = [e.account_id for e in chosen if e.account_id is not None]
    for account_id in told:
        db.session.add(Notification(account_id=account_id, text=drawn_notice(group)))
    db.session.commit()
    for account_id in told:
        enqueue(DELIVER_TASK, account_id)   # the SMS leaves the request path
    return drawn


def drawn_notice(group: ReviewGroup) -> str:
    """The message to an expert drawn into `group`: the meeting, its date and place."""
    meeting = group.meeting
    return (f"您已被抽取为{meeting.committee.name}“{meeting.name}”{group.name}的评审专家。"
            f"会议时间：{meeting.held_on:%Y年%m月%d日}，地点：{meeting.place}。请登录系统在“评审任务”中查看分配给您的申报。")


def set_present(group: ReviewGroup, present_ids: set[int]) -> None:
    _preparing(group.meeting)
    for member in group.members:
        member.present = member.expert_id in present_ids
    record("meeting.presence", f"group:{group.id}",
           after={"present": sorted(m.expert_id for m in group.members if m.present)})
    db.session.commit()


def quorum_of(members: int) -> int:
    """At least REVIEW_QUORUM (2/3) of the group's experts."""
    share = parse_threshold(current_app.config["REVIEW_QUORUM"], "法定人数比例")
    return math.ceil(members * share - 1e-9)


def open_meeting(meeting: Meeting) -> None:
    """Open the meeting: every group has its experts, and enough of them present."""
    _preparing(meeting)
    groups = [g for g in meeting.groups if g.entries]
    if not groups:
        raise Refused("会议还没有分组的申报，不能开始")
    for group in groups:
        members = len(group.members)
        present = sum(m.present for m in group.members)
        if not members:
            raise Refused(f"{group.name}尚未抽取专家，不能开始")
        need = quorum_of(members)
        if present < need:
            raise Refused(f"{group.name}应到{members}人，实到{present}人，未达到法定人数{need}人，不能开始")
    meeting.status = "open"
    meeting.opened_at = clock.now()
    record("meeting.open", f"meeting:{meeting.id}")
    db.session.commit()


# -- the expert's side ----------------------------------------------------------

def expert_of(user) -> Expert | None:
    return db.session.scalar(select(Expert).where(Expert.account_id == user.id))


def membership(expert: Expert, declaration_id: int) -> tuple[ReviewGroup, GroupExpert] | None:
    """The open group in which `expert` reviews the declaration, if not recused."""
    row = db.session.execute(
        select(ReviewGroup, GroupExpert).join(GroupExpert, GroupExpert.group_id == ReviewGroup.id)
        .join(GroupDeclaration, GroupDeclaration.group_id == ReviewGroup.id)
        .join(Declaration, Declaration.id == GroupDeclaration.declaration_id)
        .where(GroupExpert.expert_id == expert.id, GroupDeclaration.declaration_id == declaration_id,
               not_recused(GroupExpert.expert_id, Declaration.id, Declaration.unit_id))
        .order_by(ReviewGroup.id.desc())).first()
    return tuple(row) if row else None


def recused(expert: Expert, declaration_id: int) -> bool:
    declaration = db.session.get(Declaration, declaration_id)
    if declaration is None:
        return False
    return bool(db.session.scalar(select(~not_recused(expert.id, declaration.id, declaration.unit_id))))


def save_opinion(user, declaration_id: int, text: str, score: str = "") -> ReviewOpinion:
    expert = expert_of(user)
    found = membership(expert, declaration_id) if expert else None
    if found is None:
        raise Refused("您不是该申报评审组的专家，不能填写评审意见")
    group, _ = found
    if group.vote_closed_at is not None:
        raise Refused("表决已结束，评审意见不能再修改")
    text = (text or "").strip()
    if not text:
        raise Refused("请填写评审意见")
    if len(text) > 2000:
        raise Refused("评审意见不能超过2000字")
    value = None
    if (score or "").strip():
        if not score.strip().isdigit() or not 0 <= int(score) <= 100:
            raise Refused("评分须为0至100的整数")
        value = int(score)
    opinion = db.session.scalar(select(ReviewOpinion).where(
        ReviewOpinion.group_id == group.id, ReviewOpinion.declaration_id == declaration_id,
        ReviewOpinion.expert_id == expert.id))
    if opinion is None:
        opinion = ReviewOpinion(group_id=group.id, declaration_id=declaration_id, expert_id=expert.id, text=text)
        db.session.add(opinion)
    opinion.text, opinion.score = text, value
    db.session.commit()
    return opinion


def own_opinion(expert: Expert, group: ReviewGroup, declaration_id: int) -> ReviewOpinion | None:
    return db.session.scalar(select(ReviewOpinion).where(
        ReviewOpinion.group_id == group.id, ReviewOpinion.declaration_id == declaration_id,
        ReviewOpinion.expert_id == expert.id))


def voting_began(group_id: int) -> bool:
    """Whether any expert of the group has voted: from then on who counts as
    present for each declaration is fixed."""
    return db.session.scalar(select(VoteCast.id).where(VoteCast.group_id == group_id).limit(1)) is not None


def declare_conflict(user, declaration_id: int, reason: str) -> None:
    """An expert declares a conflict: from now on recused from that declaration.
    Only before the group's first ballot — afterwards it would drop a voter
    from those present while their anonymous ballot stays in the count."""
    expert = expert_of(user)
    found = membership(expert, declaration_id) if expert else None
    if found is None:
        raise Refused("您不是该申报评审组的专家")
    group, _ = found
    # the group's row, locked as a ballot locks it: no ballot slips in between check and write
    db.session.execute(select(ReviewGroup.id).where(ReviewGroup.id == group.id).with_for_update())
    if voting_began(group.id):
        raise Refused("本组已开始投票，不能再申明回避；如有利害关系，请立即告知评委会")
    db.session.add(ExpertConflict(expert_id=expert.id, declaration_id=declaration_id,
                                  reason=(reason or "本人申明回避").strip()[:200]))
    db.session.flush()
    if voting_began(group.id):   # SQLite takes no row lock: holding the write lock now, look again
        db.session.rollback()
        raise Refused("本组已开始投票，不能再申明回避；如有利害关系，请立即告知评委会")
    record("expert.conflict", f"declaration:{declaration_id}", after={"expert": expert.id})
    db.session.commit()
