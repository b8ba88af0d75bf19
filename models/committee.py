"""The committee's evaluation (W9–W14): its experts, meetings with 评审组,
the recorded draw, opinions, the anonymous vote, 公示 with objections, the
holidays that do not count as working days, electronic certificates, the
诚信承诺书 confirmations and 补正期限."""
from fractions import Fraction

from flask_appbuilder import Model
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import relationship

from models.clock import AwareDateTime, now
from models.protected import Encrypted, with_blind_index

expert_committee = Table(
    "expert_committee",
    Model.metadata,
    Column("expert_id", Integer, ForeignKey("expert.id", ondelete="CASCADE"), primary_key=True),
    Column("organisation_id", Integer, ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True),
)


@with_blind_index("phone")
class Expert(Model):
    """专家库: one expert, signing in with the role 评审专家 through `account`."""

    __tablename__ = "expert"
    id = Column(Integer, primary_key=True)
    account_id = Column(Integer, ForeignKey("ab_user.id"), unique=True)
    account = relationship("Account")
    name = Column(String(50), nullable=False)
    #: 工作单位: recusal compares it with the applicant's unit
    unit_id = Column(Integer, ForeignKey("organisation.id"))
    unit = relationship("Organisation", foreign_keys=[unit_id])
    unit_name = Column(String(100), nullable=False, default="")
    series = Column(String(10), nullable=False)
    major = Column(String(50), nullable=False)
    title = Column(String(50), nullable=False, default="")
    #: encrypted at rest, like every phone number, with its keyed hash
    phone = Column(Encrypted)
    phone_hmac = Column(String(64))
    available = Column(Boolean, nullable=False, default=True)
    committees = relationship("Organisation", secondary=expert_committee)

    def __str__(self):
        return self.name


class ExpertConflict(Model):
    """A conflict of interest the expert declared for one declaration (回避)."""

    __tablename__ = "expert_conflict"
    id = Column(Integer, primary_key=True)
    expert_id = Column(Integer, ForeignKey("expert.id", ondelete="CASCADE"), nullable=False)
    declaration_id = Column(Integer, ForeignKey("declaration.id", ondelete="CASCADE"), nullable=False)
    reason = Column(String(200), nullable=False, default="")
    created_at = Column(AwareDateTime, nullable=False, default=now)

    __table_args__ = (UniqueConstraint("expert_id", "declaration_id", name="uq_expert_conflict"),)


class Meeting(Model):
    """评审会议 of one committee for one 申报年度."""

    __tablename__ = "meeting"
    id = Column(Integer, primary_key=True)
    committee_id = Column(Integer, ForeignKey("organisation.id"), nullable=False, index=True)
    committee = relationship("Organisation")
    year = Column(Integer, nullable=False)
    name = Column(String(100), nullable=False)
    held_on = Column(Date, nullable=False)
    place = Column(String(100), nullable=False)
    #: 同意 needed, as a share of the experts present (0 < threshold ≤ 1)
    threshold = Column(Float, nullable=False)
    #: preparing → open (quorum met) → voted (every group closed)
    status = Column(String(12), nullable=False, default="preparing")
    opened_at = Column(AwareDateTime)
    #: 公示: first and last working day; set when published
    publicity_from = Column(Date)
    publicity_to = Column(Date)
    created_at = Column(AwareDateTime, nullable=False, default=now)

    @property
    def threshold_text(self) -> str:
        """2/3 rather than 0.6667."""
        share = Fraction(self.threshold).limit_denominator(100)
        return str(share.numerator) if share.denominator == 1 else f"{share.numerator}/{share.denominator}"

    __table_args__ = (
        CheckConstraint("threshold > 0 AND threshold <= 1", name="ck_meeting_threshold"),
        CheckConstraint("status IN ('preparing', 'open', 'voted')", name="ck_meeting_status"),
    )


class ReviewGroup(Model):
    """评审组 of a meeting, by 专业."""

    __tablename__ = "review_group"
    id = Column(Integer, primary_key=True)
    meeting_id = Column(Integer, ForeignKey("meeting.id", ondelete="CASCADE"), nullable=False, index=True)
    meeting = relationship("Meeting", backref="groups")
    name = Column(String(50), nullable=False)
    series = Column(String(10), nullable=False)
    major = Column(String(50), nullable=False)
    #: how many experts the draw picks
    size = Column(Integer, nullable=False, default=5)
    vote_closed_at = Column(AwareDateTime)
    vote_closed_by = Column(Integer, ForeignKey("ab_user.id"))


class GroupDeclaration(Model):
    """A declaration put into a group. `yes`, `no` and `abstain` are its urn:
    counters raised by each ballot while the vote is open (no row holds a
    choice then); `expected`, `present` and `passed` are filled when the vote
    closes. The check keeps a closed tally within the experts present."""

    __tablename__ = "group_declaration"
    id = Column(Integer, primary_key=True)
    group_id = Column(Integer, ForeignKey("review_group.id", ondelete="CASCADE"), nullable=False, index=True)
    group = relationship("ReviewGroup", backref="entries")
    declaration_id = Column(Integer, ForeignKey("declaration.id", ondelete="CASCADE"), nullable=False, index=True)
    declaration = relationship("Declaration")
    #: the tally: 同意/不同意/弃权 (counted as cast), 应到/实到 and the result (at the close)
    yes = Column(Integer, nullable=False, default=0, server_default="0")
    no = Column(Integer, nullable=False, default=0, server_default="0")
    abstain = Column(Integer, nullable=False, default=0, server_default="0")
    expected = Column(Integer)
    present = Column(Integer)
    passed = Column(Boolean)

    __table_args__ = (
        UniqueConstraint("group_id", "declaration_id", name="uq_group_declaration"),
        CheckConstraint("yes >= 0 AND no >= 0 AND abstain >= 0", name="ck_group_declaration_counts"),
        CheckConstraint("present IS NULL OR (yes + no + abstain <= present AND present <= expected)",
                        name="ck_group_declaration_tally"),
    )


class GroupExpert(Model):
    """An expert drawn (or chosen) into a group, and whether present."""

    __tablename__ = "group_expert"
    id = Column(Integer, primary_key=True)
    group_id = Column(Integer, ForeignKey("review_group.id", ondelete="CASCADE"), nullable=False, index=True)
    group = relationship("ReviewGroup", backref="members")
    expert_id = Column(Integer, ForeignKey("expert.id"), nullable=False, index=True)
    expert = relationship("Expert")
    present = Column(Boolean, nullable=False, default=False)
    #: "random" or "manual"
    how = Column(String(10), nullable=False, default="random")

    __table_args__ = (UniqueConstraint("group_id", "expert_id", name="uq_group_expert"),)


class ExpertDraw(Model):
    """The record of a draw: who drew, when, with which seed, from whom."""

    __tablename__ = "expert_draw"
    id = Column(Integer, primary_key=True)
    group_id = Column(Integer, ForeignKey("review_group.id", ondelete="CASCADE"), nullable=False, index=True)
    drawn_by = Column(Integer, ForeignKey("ab_user.id"), nullable=False)
    drawn_by_name = Column(String(64), nullable=False)
    drawn_at = Column(AwareDateTime, nullable=False, default=now)
    method = Column(String(10), nullable=False)
    seed = Column(String(64), nullable=False, default="")
    #: the experts the draw was made from, and those chosen (JSON lists of ids and names)
    candidates = Column(Text, nullable=False, default="[]")
    chosen = Column(Text, nullable=False, default="[]")


class ReviewOpinion(Model):
    """An expert's written opinion (and optional score) on one declaration."""

    __tablename__ = "review_opinion"
    id = Column(Integer, primary_key=True)
    group_id = Column(Integer, ForeignKey("review_group.id", ondelete="CASCADE"), nullable=False)
    declaration_id = Column(Integer, ForeignKey("declaration.id", ondelete="CASCADE"), nullable=False)
    expert_id = Column(Integer, ForeignKey("expert.id"), nullable=False)
    text = Column(Text, nullable=False)
    score = Column(Integer)
    updated_at = Column(AwareDateTime, nullable=False, default=now, onupdate=now)

    __table_args__ = (UniqueConstraint("group_id", "declaration_id", "expert_id", name="uq_review_opinion"),)


class Ballot(Model):
    """One anonymous ballot (无记名投票), written when the vote closes, in a
    random order. Deliberately no expert, no time and a random key instead of
    a sequence: nothing joins or orders it to a voter."""

    __tablename__ = "ballot"
    id = Column(String(32), primary_key=True)
    group_id = Column(Integer, ForeignKey("review_group.id", ondelete="CASCADE"), nullable=False, index=True)
    declaration_id = Column(Integer, ForeignKey("declaration.id", ondelete="CASCADE"), nullable=False)
    choice = Column(String(8), nullable=False)

    __table_args__ = (CheckConstraint("choice IN ('yes', 'no', 'abstain')", name="ck_ballot_choice"),)


class VoteCast(Model):
    """Who has voted on what — apart from what was voted. The unique key makes
    a second ballot (two tabs at once) fail in the database."""

    __tablename__ = "vote_cast"
    id = Column(Integer, primary_key=True)
    group_id = Column(Integer, ForeignKey("review_group.id", ondelete="CASCADE"), nullable=False)
    declaration_id = Column(Integer, ForeignKey("declaration.id", ondelete="CASCADE"), nullable=False)
    expert_id = Column(Integer, ForeignKey("expert.id"), nullable=False)

    __table_args__ = (UniqueConstraint("group_id", "declaration_id", "expert_id", name="uq_vote_cast"),)


class Holiday(Model):
    """A day the title office entered as not a working day (公示 counts working days)."""

    __tablename__ = "holiday"
    day = Column(Date, primary_key=True)
    name = Column(String(50), nullable=False, default="")


class Objection(Model):
    """异议 filed by anyone during 公示, and how the title office handled it."""

    __tablename__ = "objection"
    id = Column(Integer, primary_key=True)
    meeting_id = Column(Integer, ForeignKey("meeting.id", ondelete="CASCADE"), nullable=False)
    declaration_id = Column(Integer, ForeignKey("declaration.id", ondelete="CASCADE"), nullable=False, index=True)
    contact = Column(String(100), nullable=False)
    reason = Column(Text, nullable=False)
    ip = Column(String(45), nullable=False, default="")
    created_at = Column(AwareDateTime, nullable=False, default=now)
    #: open → dismissed (不予采纳) or upheld (属实)
    status = Column(String(10), nullable=False, default="open")
    handling = Column(Text, nullable=False, default="")
    handled_by = Column(Integer, ForeignKey("ab_user.id"))
    handled_at = Column(AwareDateTime)

    __table_args__ = (CheckConstraint("status IN ('open', 'dismissed', 'upheld')", name="ck_objection_status"),)


class Certificate(Model):
    """电子职称证书, issued at final approval; may be revoked with a reason."""

    __tablename__ = "certificate"
    id = Column(Integer, primary_key=True)
    declaration_id = Column(Integer, ForeignKey("declaration.id", ondelete="CASCADE"), nullable=False, unique=True)
    number = Column(String(30), nullable=False, unique=True)
    issued_on = Column(Date, nullable=False)
    revoked_at = Column(AwareDateTime)
    revoked_by = Column(Integer, ForeignKey("ab_user.id"))
    revoke_reason = Column(String(500))


class PledgeConfirmation(Model):
    """诚信承诺书 confirmed before a submission: when, from where, which text."""

    __tablename__ = "pledge_confirmation"
    id = Column(Integer, primary_key=True)
    declaration_id = Column(Integer, ForeignKey("declaration.id", ondelete="CASCADE"), nullable=False, index=True)
    account_id = Column(Integer, ForeignKey("ab_user.id"), nullable=False)
    confirmed_at = Column(AwareDateTime, nullable=False, default=now)
    ip = Column(String(45), nullable=False, default="")
    #: the text's version (its last change) and the text itself as confirmed
    text_version = Column(String(30), nullable=False)
    text = Column(Text, nullable=False)


class CorrectionDeadline(Model):
    """补正期限 of a return; `expired_at` once it became 逾期未补正."""

    __tablename__ = "correction_deadline"
    id = Column(Integer, primary_key=True)
    declaration_id = Column(Integer, ForeignKey("declaration.id", ondelete="CASCADE"), nullable=False, index=True)
    due = Column(Date, nullable=False)
    created_at = Column(AwareDateTime, nullable=False, default=now)
    expired_at = Column(AwareDateTime)
    #: closed by a resubmission or a reopening
    closed = Column(Boolean, nullable=False, default=False)
