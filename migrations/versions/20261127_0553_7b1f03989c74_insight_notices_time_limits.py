"""statistics, announcements and reviewer time limits (#14)

Revision ID: 7b1f03989c74
Revises: e60f13a90d14
Create Date: 2026-11-27 05:53:23.904316

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7b1f03989c74'
down_revision = 'e60f13a90d14'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('step_time_limit',
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('working_days', sa.Integer(), nullable=False),
    sa.CheckConstraint('working_days > 0', name='ck_step_time_limit_positive'),
    sa.PrimaryKeyConstraint('status')
    )
    op.create_table('announcement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('series', sa.String(length=10), nullable=True),
    sa.Column('publish_on', sa.Date(), nullable=False),
    sa.Column('unpublish_on', sa.Date(), nullable=True),
    sa.Column('pinned', sa.Boolean(), nullable=False),
    sa.Column('attachment_key', sa.String(length=100), nullable=True),
    sa.Column('attachment_name', sa.String(length=200), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('unpublish_on IS NULL OR unpublish_on >= publish_on', name='ck_announcement_dates'),
    sa.ForeignKeyConstraint(['author_id'], ['ab_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('announcement', schema=None) as batch_op:
        batch_op.create_index('ix_announcement_window', ['publish_on', 'unpublish_on'], unique=False)

    # the default limits, in working days; administrators change them in 后台管理
    limits = sa.table('step_time_limit', sa.column('status', sa.String), sa.column('working_days', sa.Integer))
    op.bulk_insert(limits, [
        {'status': 'unit_review', 'working_days': 5},
        {'status': 'dept_review', 'working_days': 5},
        {'status': 'committee_receive', 'working_days': 5},
        {'status': 'committee_review', 'working_days': 20},
        {'status': 'office_review', 'working_days': 10},
    ])


def downgrade():
    with op.batch_alter_table('announcement', schema=None) as batch_op:
        batch_op.drop_index('ix_announcement_window')

    op.drop_table('announcement')
    op.drop_table('step_time_limit')
