"""无记名投票 (W11): one anonymous ballot per present expert and declaration,
recorded apart from the record of who voted; closing the vote stores the
tally and takes the workflow step (pass → 公示, fail → 评审不通过).

Concurrency: a ballot reads its group FOR SHARE and closing the vote is a
conditional UPDATE of that row, so no ballot lands after the close; the
unique key on `vote_cast` makes a second ballot (two tabs) fail."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from app.platform.audit import record
from app.platform.extensions import db
from app.review.meetings import Refused, expert_of, membership, recused
from app.review.notifications import deliver_notifications
from app.review.workflow import perform
from models import Ballot, Declaration, Expert, GroupDeclaration, GroupExpert, Meeting, ReviewGroup, VoteCast
from permissions.scopes import not_recused

CHOICES = {"yes": "同意", "no": "不同意", "abstain": "弃权"}


def cast(user, declaration_id: int, choice: str) -> None:
    """Cast the signed-in expert's ballot; refused with a clear message otherwise."""
    if choice not in CHOICES:
        raise Refused("请选择同意、不同意或弃权")
    expert = expert_of(user)
    if expert is None:
        raise Refused("您不是评审专家，不能投票")
    found = membership(expert, declaration_id)
    if found is None:
        raise Refused("您须回避该申报，不能投票" if recused(expert, declaration_id)
                      else "该申报不在您的评审组，不能投票")
    group, member = found
    # FOR SHARE: the close waits for ballots being cast, and a ballot sees a close that committed
    locked = db.session.execute(select(ReviewGroup.vote_closed_at, Meeting.status).join(Meeting)
                                .where(ReviewGroup.id == group.id)
                                .with_for_update(read=True, of=ReviewGroup)).one()
    if locked.vote_closed_at is not None:
        raise Refused("表决已结束，不能再投票")
    if locked.status != "open":
        raise Refused("会议尚未开始，不能投票")
    if not member.present:
        raise Refused("您未到会，不能投票")
    db.session.add(VoteCast(group_id=group.id, declaration_id=declaration_id, expert_id=expert.id))
    db.session.add(Ballot(id=secrets.token_hex(16), group_id=group.id, declaration_id=declaration_id, choice=choice))
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Refused("您已对该申报投票，投票后不能更改") from None
    # Now holding the write lock (SQLite has no FOR SHARE): a close that committed meanwhile wins.
    if db.session.scalar(select(ReviewGroup.vote_closed_at).where(ReviewGroup.id == group.id)) is not None:
        db.session.rollback()
        raise Refused("表决已结束，不能再投票")
    db.session.commit()


def has_voted(expert: Expert, group: ReviewGroup, declaration_id: int) -> bool:
    return db.session.scalar(select(VoteCast.id).where(
        VoteCast.group_id == group.id, VoteCast.declaration_id == declaration_id,
        VoteCast.expert_id == expert.id)) is not None


@dataclass
class Tally:
    yes: int
    no: int
    abstain: int
    expected: int
    present: int
    passed: bool

    @property
    def text(self) -> str:
        return (f"表决结果：应到{self.expected}人，实到{self.present}人，同意{self.yes}票，不同意{self.no}票，"
                f"弃权{self.abstain}票，{'通过' if self.passed else '未通过'}")


def passes(yes: int, present: int, threshold: float) -> bool:
    """同意 ≥ threshold × 实到 (2/3: 4 of 6 passes, 3 of 5 does not)."""
    return present > 0 and yes >= threshold * present - 1e-9


def count(group: ReviewGroup, entry: GroupDeclaration) -> Tally:
    votes = dict(db.session.execute(select(Ballot.choice, func.count()).where(
        Ballot.group_id == group.id, Ballot.declaration_id == entry.declaration_id).group_by(Ballot.choice)).all())
    declaration = entry.declaration
    members = db.session.scalars(select(GroupExpert).where(
        GroupExpert.group_id == group.id,
        not_recused(GroupExpert.expert_id, declaration.id, declaration.unit_id))).all()
    present = sum(m.present for m in members)
    yes = votes.get("yes", 0)
    return Tally(yes=yes, no=votes.get("no", 0), abstain=votes.get("abstain", 0), expected=len(members),
                 present=present, passed=passes(yes, present, group.meeting.threshold))


def close_vote(user, group: ReviewGroup) -> list[tuple[Declaration, Tally]]:
    """Close the group's vote: store each tally and take pass or fail — one transaction."""
    if group.meeting.committee_id != user.org_id:
        raise Refused("只能结束本评委会会议的表决")
    if group.vote_closed_at is not None:
        raise Refused("该组表决已结束，不能重复结束")
    if group.meeting.status != "open":
        raise Refused("会议尚未开始，不能结束表决")
    closed = db.session.execute(update(ReviewGroup).where(ReviewGroup.id == group.id,
                                                          ReviewGroup.vote_closed_at.is_(None))
                                .values(vote_closed_at=datetime.now(), vote_closed_by=user.id)).rowcount
    if not closed:
        db.session.rollback()
        raise Refused("该组表决已结束，不能重复结束")
    results = []
    for entry in group.entries:
        tally = count(group, entry)
        entry.yes, entry.no, entry.abstain = tally.yes, tally.no, tally.abstain
        entry.expected, entry.present, entry.passed = tally.expected, tally.present, tally.passed
        declaration = entry.declaration
        if declaration.status == "committee_review":
            perform(declaration, "pass" if tally.passed else "fail", user, tally.text, internal=True, commit=False)
        results.append((declaration, tally))
    db.session.flush()
    meeting = group.meeting
    open_groups = db.session.scalar(select(func.count(ReviewGroup.id)).where(
        ReviewGroup.meeting_id == meeting.id, ReviewGroup.vote_closed_at.is_(None),
        ReviewGroup.id.in_(select(GroupDeclaration.group_id))))
    if not open_groups:
        meeting.status = "voted"
    record("meeting.close_vote", f"group:{group.id}",
           after={d.id: [t.yes, t.no, t.abstain, t.expected, t.present, t.passed] for d, t in results})
    db.session.commit()
    for declaration, _ in results:
        deliver_notifications(declaration.applicant_id)
    return results
