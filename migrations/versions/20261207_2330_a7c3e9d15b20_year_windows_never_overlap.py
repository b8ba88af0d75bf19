"""申报年度 windows never overlap: at most one year is open on any day, so an
applicant's draft of the open year is never replaced by another year's. The
database refuses an overlapping window even when two are saved at once: an
exclusion constraint on PostgreSQL, triggers on SQLite (whose writes are
serialised, so the trigger's check cannot race).

Revision ID: a7c3e9d15b20
Revises: f1a2b3c4d5e6
Create Date: 2026-12-07 23:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c3e9d15b20'
down_revision = 'f1a2b3c4d5e6'
branch_labels = None
depends_on = None

_SQLITE_CHECK = """
WHEN EXISTS (SELECT 1 FROM declaration_year d WHERE d.id IS NOT NEW.id
             AND d.opens_on <= NEW.closes_on AND d.closes_on >= NEW.opens_on)
BEGIN SELECT RAISE(ABORT, 'declaration_year windows overlap'); END
"""


def upgrade():
    conn = op.get_bind()
    overlaps = conn.execute(sa.text(
        "SELECT a.year, b.year FROM declaration_year a JOIN declaration_year b ON a.id < b.id "
        "AND a.opens_on <= b.closes_on AND a.closes_on >= b.opens_on")).all()
    if overlaps:
        pairs = ", ".join(f"{a}/{b}" for a, b in overlaps)
        raise RuntimeError(f"申报年度的申报时间重叠（{pairs}），请先在申报年度设置中调整后再升级")
    if conn.dialect.name == "postgresql":
        op.execute("ALTER TABLE declaration_year ADD CONSTRAINT declaration_year_no_overlap "
                   "EXCLUDE USING gist (daterange(opens_on, closes_on, '[]') WITH &&)")
    elif conn.dialect.name == "sqlite":
        op.execute("CREATE TRIGGER declaration_year_no_overlap_insert BEFORE INSERT ON declaration_year"
                   + _SQLITE_CHECK)
        op.execute("CREATE TRIGGER declaration_year_no_overlap_update BEFORE UPDATE OF opens_on, closes_on "
                   "ON declaration_year" + _SQLITE_CHECK)


def downgrade():
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        op.execute("ALTER TABLE declaration_year DROP CONSTRAINT declaration_year_no_overlap")
    elif conn.dialect.name == "sqlite":
        op.execute("DROP TRIGGER declaration_year_no_overlap_insert")
        op.execute("DROP TRIGGER declaration_year_no_overlap_update")
