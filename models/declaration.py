"""A declaration (one per applicant per 申报年度) and its attachments. The
sections' own tables are made from the registry in models/sections.py."""

from flask_appbuilder import Model
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import relationship

from models.clock import AwareDateTime, now

#: what the reviewers' list filters on besides organisation and state
QUEUE_INCLUDE = ["reached", "series", "level", "year"]


def _ordered(name: str, columns: list[str], where: str) -> Index:
    """A partial index listing `where`'s declarations by submission (see the list queries)."""
    return Index(name, *columns, "submitted_at", "id", postgresql_where=text(where), sqlite_where=text(where),
                 postgresql_include=QUEUE_INCLUDE)


class Declaration(Model):
    __tablename__ = "declaration"
    id = Column(Integer, primary_key=True)
    applicant_id = Column(Integer, ForeignKey("ab_user.id"), nullable=False, index=True)
    applicant = relationship("Account")
    #: 申报年度
    year = Column(Integer, nullable=False)
    status = Column(String(20), nullable=False, default="draft", index=True)
    #: 证书编号, given at final approval
    certificate_no = Column(String(30), unique=True)
    #: 评委会是否接收 and 接收日期
    committee_received = Column(Boolean, nullable=False, default=False)
    received_date = Column(Date)
    #: recorded at each submission, so every reviewer's queue is one indexed condition
    unit_id = Column(Integer, ForeignKey("organisation.id"), index=True)
    department_id = Column(Integer, ForeignKey("organisation.id"), index=True)
    committee_id = Column(Integer, ForeignKey("organisation.id"), index=True)
    series = Column(String(10), index=True)
    level = Column(String(10), index=True)
    #: the furthest review stage ever reached (see app.review.workflow.STAGES)
    reached = Column(Integer, nullable=False, default=0)
    submitted_at = Column(AwareDateTime)
    unit = relationship("Organisation", foreign_keys=[unit_id])
    department = relationship("Organisation", foreign_keys=[department_id])
    committee = relationship("Organisation", foreign_keys=[committee_id])
    created_at = Column(AwareDateTime, nullable=False, default=now)
    updated_at = Column(AwareDateTime, nullable=False, default=now, onupdate=now)
    #: bumped by every change, so concurrent writers serialise on this row
    version = Column(Integer, nullable=False, default=1)

    __table_args__ = (
        UniqueConstraint("applicant_id", "year", name="uq_declaration_applicant_year"),
        # The database refuses impossible combinations, whatever code writes them.
        CheckConstraint("status IN ('draft', 'unit_review', 'dept_review', 'committee_receive', 'committee_review', "
                        "'office_review', 'approved', 'rejected', 'returned', 'publicity', 'overdue')",
                        name="ck_declaration_status"),
        CheckConstraint("(status = 'approved') = (certificate_no IS NOT NULL)", name="ck_declaration_certificate"),
        CheckConstraint("committee_received = (received_date IS NOT NULL)", name="ck_declaration_received"),
        CheckConstraint("status = 'draft' OR unit_id IS NOT NULL", name="ck_declaration_submitted_unit"),
        Index("ix_declaration_queue", "status", "unit_id", "department_id", "committee_id"),
        # Each reviewer's queue in submission order, and its count, from one index each (PostgreSQL
        # answers the count from the index alone: the filtered columns are included).
        Index("ix_declaration_office_queue", "status", "submitted_at", postgresql_include=QUEUE_INCLUDE),
        Index("ix_declaration_unit_queue", "unit_id", "status", "submitted_at", postgresql_include=QUEUE_INCLUDE),
        Index("ix_declaration_department_queue", "department_id", "status", "submitted_at",
              postgresql_include=QUEUE_INCLUDE),
        Index("ix_declaration_committee_queue", "committee_id", "status", "submitted_at",
              postgresql_include=QUEUE_INCLUDE),
        # Each list's page in submission order read from an index in that order, newest first,
        # stopping after one page (no sort of a unit's or the city's whole queue). Only submitted
        # declarations are listed to reviewers; the two queues of two states have their own.
        _ordered("ix_declaration_submitted_order", [], "reached >= 1"),
        _ordered("ix_declaration_unit_order", ["unit_id"], "reached >= 1"),
        _ordered("ix_declaration_department_order", ["department_id"], "reached >= 1"),
        _ordered("ix_declaration_committee_order", ["committee_id"], "reached >= 1"),
        _ordered("ix_declaration_committee_waiting", ["committee_id"],
                  "status IN ('committee_receive', 'committee_review')"),
        _ordered("ix_declaration_office_waiting", [], "status IN ('office_review', 'publicity')"),
    )
    __mapper_args__ = {"version_id_col": version}

    @property
    def editable(self) -> bool:
        return self.status in ("draft", "returned")


class Attachment(Model):
    """An uploaded image. The file lives in the storage under `storage_key`
    (a name the server made); `original_name` is only for display."""

    __tablename__ = "attachment"
    id = Column(Integer, primary_key=True)
    declaration_id = Column(Integer, ForeignKey("declaration.id", ondelete="CASCADE"), nullable=False)
    section = Column(String(30), nullable=False)
    #: the row of a rows section; NULL for a single-page section
    row_id = Column(Integer)
    kind = Column(String(40), nullable=False)
    storage_key = Column(String(100), nullable=False, unique=True)
    original_name = Column(String(200), nullable=False, default="")
    content_type = Column(String(40), nullable=False, default="image/jpeg")
    size = Column(Integer, nullable=False)
    width = Column(Integer, nullable=False)
    height = Column(Integer, nullable=False)
    created_at = Column(AwareDateTime, nullable=False, default=now)

    __table_args__ = (Index("ix_attachment_place", "declaration_id", "section", "kind", "row_id"),)
