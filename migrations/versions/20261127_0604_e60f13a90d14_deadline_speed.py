"""deadline speed: every reviewer queue (and its count) served by an index (#13)

Revision ID: e60f13a90d14
Revises: fb2895dbd43f
Create Date: 2026-11-27 06:04:13.906581

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e60f13a90d14'
down_revision = 'fb2895dbd43f'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('declaration', schema=None) as batch_op:
        batch_op.create_index('ix_declaration_committee_queue', ['committee_id', 'status', 'submitted_at'], unique=False, postgresql_include=['reached', 'series', 'level', 'year'])
        batch_op.create_index('ix_declaration_department_queue', ['department_id', 'status', 'submitted_at'], unique=False, postgresql_include=['reached', 'series', 'level', 'year'])
        batch_op.create_index('ix_declaration_office_queue', ['status', 'submitted_at'], unique=False, postgresql_include=['reached', 'series', 'level', 'year'])
        batch_op.create_index('ix_declaration_unit_queue', ['unit_id', 'status', 'submitted_at'], unique=False, postgresql_include=['reached', 'series', 'level', 'year'])


def downgrade():
    with op.batch_alter_table('declaration', schema=None) as batch_op:
        batch_op.drop_index('ix_declaration_unit_queue', postgresql_include=['reached', 'series', 'level', 'year'])
        batch_op.drop_index('ix_declaration_office_queue', postgresql_include=['reached', 'series', 'level', 'year'])
        batch_op.drop_index('ix_declaration_department_queue', postgresql_include=['reached', 'series', 'level', 'year'])
        batch_op.drop_index('ix_declaration_committee_queue', postgresql_include=['reached', 'series', 'level', 'year'])
