"""Job queue: kind, attempt and heartbeat of tracked background jobs (#11)

Revision ID: 97e0d737ca46
Revises: b10c5ecf0001
Create Date: 2026-11-27 05:54:14.445856

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '97e0d737ca46'
down_revision = 'b10c5ecf0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('export_job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=20), server_default='export', nullable=False))
        batch_op.add_column(sa.Column('attempt', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('heartbeat_at', sa.DateTime(), nullable=True))



def downgrade():
    with op.batch_alter_table('export_job', schema=None) as batch_op:
        batch_op.drop_column('heartbeat_at')
        batch_op.drop_column('attempt')
        batch_op.drop_column('kind')

