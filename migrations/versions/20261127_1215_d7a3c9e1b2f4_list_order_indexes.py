"""reviewer lists read a page in submission order from an index, newest
first, instead of sorting a whole queue (#13)

Revision ID: d7a3c9e1b2f4
Revises: c4e7d2a91f3b
Create Date: 2026-11-27 12:15:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd7a3c9e1b2f4'
down_revision = 'c4e7d2a91f3b'
branch_labels = None
depends_on = None

SUBMITTED = "reached >= 1"
INDEXES = [
    ("ix_declaration_submitted_order", [], SUBMITTED),
    ("ix_declaration_unit_order", ["unit_id"], SUBMITTED),
    ("ix_declaration_department_order", ["department_id"], SUBMITTED),
    ("ix_declaration_committee_order", ["committee_id"], SUBMITTED),
    ("ix_declaration_committee_waiting", ["committee_id"], "status IN ('committee_receive', 'committee_review')"),
    ("ix_declaration_office_waiting", [], "status IN ('office_review', 'publicity')"),
]


def upgrade():
    for name, columns, where in INDEXES:
        op.create_index(name, 'declaration', [*columns, 'submitted_at', 'id'], unique=False,
                        postgresql_where=sa.text(where), sqlite_where=sa.text(where),
                        postgresql_include=['reached', 'series', 'level', 'year'])


def downgrade():
    for name, _columns, _where in reversed(INDEXES):
        op.drop_index(name, table_name='declaration')
