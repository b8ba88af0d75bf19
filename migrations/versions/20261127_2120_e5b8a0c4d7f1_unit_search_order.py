"""the unit search reads names in its own order (shortest first) from an
index and stops at the page's last match, instead of sorting every match (#13)

Revision ID: e5b8a0c4d7f1
Revises: d7a3c9e1b2f4
Create Date: 2026-11-27 21:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e5b8a0c4d7f1'
down_revision = 'd7a3c9e1b2f4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_organisation_unit_names', 'organisation', [sa.text('length(name)'), 'name'], unique=False,
                    postgresql_include=['id'], postgresql_where=sa.text("kind = 'unit' AND active IS true"))


def downgrade():
    op.drop_index('ix_organisation_unit_names', table_name='organisation')
