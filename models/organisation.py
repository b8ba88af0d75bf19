"""The organisation tree (PRODUCT §1, M1): 职称办 → 主管部门 → 工作单位, and 评委会."""

from flask_appbuilder import Model
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    func,
    text,
)
from sqlalchemy.orm import relationship, validates

from models.clock import AwareDateTime, now
from models.dictionary import TitleLevel, TitleSeries
from models.protected import Encrypted, with_blind_index

ORG_KINDS = {"bureau": "职称办", "department": "主管部门", "unit": "工作单位", "committee": "评委会"}

#: which kinds may sit under which parent kind
ALLOWED_PARENTS = {
    "bureau": (None,),
    "department": ("bureau",),
    "unit": ("department", "bureau"),
    "committee": ("bureau",),
}

committee_series = Table(
    "committee_series",
    Model.metadata,
    Column("organisation_id", Integer, ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True),
    Column("series_id", Integer, ForeignKey("title_series.id", ondelete="CASCADE"), primary_key=True),
)
committee_level = Table(
    "committee_level",
    Model.metadata,
    Column("organisation_id", Integer, ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True),
    Column("level_id", Integer, ForeignKey("title_level.id", ondelete="CASCADE"), primary_key=True),
)


@with_blind_index("contact_phone")
class Organisation(Model):
    __tablename__ = "organisation"
    id = Column(Integer, primary_key=True)
    #: full name; fuzzy search matches any fragment (trigram index on PostgreSQL)
    name = Column(String(100), nullable=False, unique=True)
    kind = Column(String(20), nullable=False, index=True)
    parent_id = Column(Integer, ForeignKey("organisation.id"), index=True)
    parent = relationship("Organisation", remote_side=[id], backref="children")
    #: 统一社会信用代码 (GB 32100-2015), optional
    credit_code = Column(String(18), unique=True)
    contact_person = Column(String(50))
    #: encrypted at rest, like every phone number, with its keyed hash
    contact_phone = Column(Encrypted)
    contact_phone_hmac = Column(String(64))
    active = Column(Boolean, nullable=False, default=True)
    created_at = Column(AwareDateTime, nullable=False, default=now)
    #: for a 评委会: the series and levels it evaluates
    series = relationship(TitleSeries, secondary=committee_series)
    levels = relationship(TitleLevel, secondary=committee_level)

    __table_args__ = (
        CheckConstraint("kind IN ('bureau', 'department', 'unit', 'committee')", name="ck_organisation_kind"),
        # The unit search reads the active units' names in its order (shortest first) from here,
        # without visiting the table, and stops when its page is full (#13).
        Index("ix_organisation_unit_names", func.length(name), name, postgresql_include=["id"],
              postgresql_where=text("kind = 'unit' AND active IS true")),
    )

    @validates("credit_code")
    def _blank_is_null(self, key, value):
        # optional and unique: an empty value is NULL, so any number of units may leave it empty
        value = (value or "").strip()
        return value or None

    @property
    def kind_label(self):
        return ORG_KINDS.get(self.kind, self.kind)

    @property
    def department(self):
        """The competent department above a unit (None for a unit under the bureau)."""
        if self.kind == "unit" and self.parent is not None and self.parent.kind == "department":
            return self.parent
        return None

    def __str__(self):
        return self.name


#: made by the first migration on PostgreSQL only (pg_trgm), so not in the models
TRIGRAM_INDEX = "ix_organisation_name_trgm"


def include_in_migrations(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic's filter: leave the database-specific trigram index alone."""
    return not (type_ == "index" and name == TRIGRAM_INDEX)
