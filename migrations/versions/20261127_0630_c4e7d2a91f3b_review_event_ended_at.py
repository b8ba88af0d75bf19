"""review_event.ended_at: when each step's wait ended, so the statistics read
waits without a window over the whole history (#14)

Revision ID: c4e7d2a91f3b
Revises: 7b1f03989c74
Create Date: 2026-11-27 06:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4e7d2a91f3b'
down_revision = '7b1f03989c74'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('review_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ended_at', sa.DateTime(), nullable=True))
    # every row but a declaration's latest: its wait ended when the next row was written
    op.execute("UPDATE review_event SET ended_at = following.next_at FROM ("
               "SELECT id, lead(created_at) OVER (PARTITION BY declaration_id ORDER BY id) AS next_at "
               "FROM review_event) AS following "
               "WHERE following.id = review_event.id AND following.next_at IS NOT NULL")


def downgrade():
    with op.batch_alter_table('review_event', schema=None) as batch_op:
        batch_op.drop_column('ended_at')
