"""无记名投票 (W11, W12): one anonymous ballot per present expert and
declaration; closing the vote checks and stores the tally and takes the
workflow step (pass → 公示, fail → 评审不通过).

Anonymity — nothing stored after the vote links a choice to its expert,
not a column, a sequence, a time, a transaction id or the order of rows:
- while the vote is open, a ballot is only a counter in the declaration's
  urn (`group_declaration.yes/no/abstain`, updated in place) beside a row
  saying that the expert voted (`vote_cast`); no row holds a choice;
- at the close, the ballots are written from the counters in a random
  order, in one transaction, and the `vote_cast` rows of the group are
  rewritten in a random order too, so neither table keeps the order of
  casting (same transaction id, shuffled ids and physical order);
- the superseded row versions are then vacuumed away (PostgreSQL), and
  SQLite overwrites deleted content (secure_delete).
The committee recounts the ballots against the stored tally; the tally's
invariant (ballots = present experts who voted, each once) is checked in the
database before anything is written. docs: README, “The anonymous vote”.

Concurrency: a ballot reads its group FOR SHARE and closing the vote is a
conditional UPDATE of that row, so no ballot lands after the close; the
unique key on `vote_cast` makes a second ballot (two tabs) fail."""
from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

from sqlalchemy import and_, delete, event, func, insert, select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from app.platform.audit import record
from app.platform.extensions import db
from app.review.meetings import Refused, expert_of, membership, minimum_share, recused
from app.review.notifications import deliver_notifications
from app.review.workflow import perform
from models import Ballot, Declaration, Expert, GroupDeclaration, GroupExpert, Meeting, ReviewGroup, VoteCast, clock
from permissions.scopes import not_recused

CHOICES = {"yes": "同意", "no": "不同意", "abstain": "弃权"}
#: what the applicant reads of the outcome (W14: plain words, never the tally)
OUTCOME_WORDS = {True: "经评委会无记名投票表决，评审通过", False: "经评委会无记名投票表决，评审未通过"}
ANONYMISED_TABLES = ("ballot", "vote_cast", "group_declaration")

log = logging.getLogger(__name__)


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
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Refused("您已对该申报投票，投票后不能更改") from None
    counter = getattr(GroupDeclaration, choice)
    db.session.execute(update(GroupDeclaration).where(GroupDeclaration.group_id == group.id,
                                                      GroupDeclaration.declaration_id == declaration_id)
                       .values({counter: counter + 1}))
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
        """For the committee and the audit trail only — never shown to the applicant."""
        return (f"表决结果：应到{self.expected}人，实到{self.present}人，同意{self.yes}票，不同意{self.no}票，"
                f"弃权{self.abstain}票，{'通过' if self.passed else '未通过'}")


def passes(yes: int, present: int, threshold: float) -> bool:
    """同意 ≥ threshold × 实到 (2/3: 4 of 6 passes, 3 of 5 does not)."""
    return present > 0 and yes >= threshold * present - 1e-9


class TallyMismatch(Refused):
    """The urn and the record of who voted disagree: the close is refused."""


def count(group: ReviewGroup, entry: GroupDeclaration) -> Tally:
    """The tally of one declaration, after checking its invariant: the urn's
    counters equal the number of experts who voted, and every one of them is
    a present expert of the group not recused from the declaration."""
    declaration = entry.declaration
    eligible = and_(GroupExpert.group_id == group.id,
                    not_recused(GroupExpert.expert_id, declaration.id, declaration.unit_id))
    members = db.session.scalars(select(GroupExpert).where(eligible)).all()
    present = sum(m.present for m in members)
    voters = db.session.scalar(select(func.count()).select_from(VoteCast).where(
        VoteCast.group_id == group.id, VoteCast.declaration_id == declaration.id))
    eligible_voters = db.session.scalar(select(func.count()).select_from(VoteCast).join(
        GroupExpert, and_(GroupExpert.group_id == VoteCast.group_id, GroupExpert.expert_id == VoteCast.expert_id))
        .where(VoteCast.group_id == group.id, VoteCast.declaration_id == declaration.id,
               GroupExpert.present.is_(True), eligible))
    yes, no, abstain = entry.yes or 0, entry.no or 0, entry.abstain or 0
    if not (yes + no + abstain == voters == eligible_voters <= present):
        raise TallyMismatch(f"{declaration.applicant.first_name}的表决记录与到会专家不一致（已投票{voters}人，"
                            f"有效{eligible_voters}人，计票{yes + no + abstain}票），不能结束表决，请联系职称办核查")
    threshold = group.meeting.threshold
    if threshold < float(minimum_share()) - 1e-9:
        raise TallyMismatch(f"{group.meeting.name}的通过比例低于规定的最低比例，不能结束表决，请联系职称办核查")
    return Tally(yes=yes, no=no, abstain=abstain, expected=len(members), present=present,
                 passed=passes(yes, present, threshold))


def close_vote(user, group: ReviewGroup) -> list[tuple[Declaration, Tally]]:
    """Close the group's vote: check and store each tally, write the ballots
    and take pass or fail — one transaction."""
    if group.meeting.committee_id != user.org_id:
        raise Refused("只能结束本评委会会议的表决")
    if group.vote_closed_at is not None:
        raise Refused("该组表决已结束，不能重复结束")
    if group.meeting.status != "open":
        raise Refused("会议尚未开始，不能结束表决")
    group_id = group.id
    closed = db.session.execute(update(ReviewGroup).where(ReviewGroup.id == group_id,
                                                          ReviewGroup.vote_closed_at.is_(None))
                                .values(vote_closed_at=clock.now(), vote_closed_by=user.id)).rowcount
    if not closed:
        db.session.rollback()
        raise Refused("该组表决已结束，不能重复结束")
    db.session.refresh(group)
    results = []
    try:
        for entry in group.entries:
            db.session.refresh(entry)   # the counters as the last ballot left them
            results.append((entry, count(group, entry)))
    except TallyMismatch as exc:
        db.session.rollback()
        record("meeting.tally_mismatch", f"group:{group_id}", actor=user, after={"message": str(exc)})
        db.session.commit()
        log.error("Vote of group %s not closed: %s", group_id, exc)
        raise
    _write_ballots(group_id, [(entry.declaration_id, tally) for entry, tally in results])
    for entry, tally in results:
        entry.expected, entry.present, entry.passed = tally.expected, tally.present, tally.passed
        declaration = entry.declaration
        if declaration.status == "committee_review":
            perform(declaration, "pass" if tally.passed else "fail", user, OUTCOME_WORDS[tally.passed],
                    internal=True, commit=False)
    db.session.flush()
    meeting = group.meeting
    open_groups = db.session.scalar(select(func.count(ReviewGroup.id)).where(
        ReviewGroup.meeting_id == meeting.id, ReviewGroup.vote_closed_at.is_(None),
        ReviewGroup.id.in_(select(GroupDeclaration.group_id))))
    if not open_groups:
        meeting.status = "voted"
    record("meeting.close_vote", f"group:{group_id}",
           after={e.declaration_id: [t.yes, t.no, t.abstain, t.expected, t.present, t.passed] for e, t in results})
    db.session.commit()
    forget_casting_order()
    for entry, _ in results:
        deliver_notifications(entry.declaration.applicant_id)
    return [(entry.declaration, tally) for entry, tally in results]


def _write_ballots(group_id: int, tallies: list[tuple[int, Tally]]) -> None:
    """The ballots from the urns' counters, and the group's record of who
    voted, written anew in a random order with random keys (see the module's
    docstring): recountable, and in no order of casting."""
    shuffle = secrets.SystemRandom().shuffle
    ballots = [{"id": secrets.token_hex(16), "group_id": group_id, "declaration_id": declaration_id,
                "choice": choice}
               for declaration_id, tally in tallies
               for choice, n in (("yes", tally.yes), ("no", tally.no), ("abstain", tally.abstain))
               for _ in range(n)]
    shuffle(ballots)
    voted = [dict(row._mapping) for row in db.session.execute(
        select(VoteCast.group_id, VoteCast.declaration_id, VoteCast.expert_id).where(VoteCast.group_id == group_id))]
    shuffle(voted)
    db.session.execute(delete(VoteCast).where(VoteCast.group_id == group_id))
    for row in voted:   # one at a time: a bulk insert may be sorted by the driver
        db.session.execute(insert(VoteCast).values(**row))
    for row in ballots:
        db.session.execute(insert(Ballot).values(**row))


def recount(group_id: int, declaration_id: int) -> dict[str, int]:
    """The committee's recount: the stored ballots of one declaration by choice."""
    return dict(db.session.execute(select(Ballot.choice, func.count()).where(
        Ballot.group_id == group_id, Ballot.declaration_id == declaration_id).group_by(Ballot.choice)).all())


def forget_casting_order() -> None:
    """Remove the superseded row versions of the vote's tables, which would
    still show the counters' values in the order of casting (PostgreSQL keeps
    them until a vacuum). Best effort: autovacuum does the same later."""
    engine = db.engine
    if engine.dialect.name != "postgresql":
        return
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in ANONYMISED_TABLES:
                conn.execute(text(f"VACUUM {table}"))   # nosec B608 - fixed table names
    except SQLAlchemyError:
        log.warning("Vacuuming the vote's tables failed; autovacuum will do it", exc_info=True)


@event.listens_for(Engine, "connect")
def _overwrite_deleted_content(dbapi_connection, _record) -> None:
    """SQLite leaves a deleted row's bytes in the file's free space, where the
    who-voted rows rewritten at the close would still stand in casting order:
    secure_delete overwrites them."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA secure_delete = ON")
        cursor.close()
