"""The review workflow's records: the append-only history (W4, W8, B4),
notifications (B5), the declaration years (M4), certificate numbers and
the committee's 答辩安排 (W6)."""

from flask_appbuilder import Model
from sqlalchemy import (
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import relationship

from models.clock import AwareDateTime, now


class ReviewEvent(Model):
    """One step of a declaration's way: who, for which organisation, what,
    with which opinion, when and from where. Never changed or deleted, but
    for `ended_at`, filled once when the declaration's next step is recorded."""

    __tablename__ = "review_event"
    id = Column(Integer, primary_key=True)
    declaration_id = Column(Integer, ForeignKey("declaration.id", ondelete="CASCADE"), nullable=False)
    action = Column(String(20), nullable=False)
    from_status = Column(String(20), nullable=False)
    to_status = Column(String(20), nullable=False)
    actor_id = Column(Integer, ForeignKey("ab_user.id"))
    actor_name = Column(String(64), nullable=False)
    org_id = Column(Integer, ForeignKey("organisation.id"))
    #: the organisation's name at that moment (units are renamed)
    org_name = Column(String(100), nullable=False, default="")
    opinion = Column(Text, nullable=False, default="")
    ip = Column(String(45), nullable=False, default="")
    created_at = Column(AwareDateTime, nullable=False, default=now)
    #: when the wait that began here ended: the time of the declaration's next step; NULL on its
    #: latest row (it waits there still). The statistics read waits from it without a window.
    ended_at = Column(AwareDateTime)
    #: at each submission: the declaration's data as JSON, to show what changed (B4)
    snapshot = Column(Text)

    __table_args__ = (Index("ix_review_event_declaration", "declaration_id", "id"),)


class Notification(Model):
    """A message to an applicant (B5): shown in the app, and sent by SMS
    after the transaction that made it has committed (an outbox)."""

    __tablename__ = "notification"
    id = Column(Integer, primary_key=True)
    account_id = Column(Integer, ForeignKey("ab_user.id"), nullable=False, index=True)
    declaration_id = Column(Integer, ForeignKey("declaration.id", ondelete="CASCADE"))
    text = Column(Text, nullable=False)
    created_at = Column(AwareDateTime, nullable=False, default=now)
    read_at = Column(AwareDateTime)
    sms_sent_at = Column(AwareDateTime, index=True)
    sms_attempts = Column(Integer, nullable=False, default=0)


class DeclarationYear(Model):
    """申报年度 settings (M4): which year is open, from when to when."""

    __tablename__ = "declaration_year"
    id = Column(Integer, primary_key=True)
    year = Column(Integer, nullable=False, unique=True)
    opens_on = Column(Date, nullable=False)
    closes_on = Column(Date, nullable=False)
    note = Column(String(200))

    def __str__(self):
        return f"{self.year}年度"


class CertificateCounter(Model):
    """The last 证书编号 sequence given per year and series."""

    __tablename__ = "certificate_counter"
    year = Column(Integer, primary_key=True)
    series = Column(String(10), primary_key=True)
    last = Column(Integer, nullable=False, default=0)


class DefenceArrangement(Model):
    """答辩安排, imported by the committee from a sheet (W6)."""

    __tablename__ = "defence_arrangement"
    id = Column(Integer, primary_key=True)
    declaration_id = Column(Integer, ForeignKey("declaration.id", ondelete="CASCADE"), nullable=False)
    declaration = relationship("Declaration")
    time = Column(String(50), nullable=False)
    place = Column(String(100), nullable=False)
    group = Column(String(50), nullable=False, default="")
    note = Column(String(200), nullable=False, default="")
    imported_by = Column(Integer, ForeignKey("ab_user.id"))
    imported_at = Column(AwareDateTime, nullable=False, default=now)

    __table_args__ = (UniqueConstraint("declaration_id", name="uq_defence_declaration"),)
