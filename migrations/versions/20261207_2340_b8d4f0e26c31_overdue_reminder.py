"""the overdue reminder goes once a day per reviewer: one row per reviewer and
day, written with the message

Revision ID: b8d4f0e26c31
Revises: a7c3e9d15b20
Create Date: 2026-12-07 23:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b8d4f0e26c31'
down_revision = 'a7c3e9d15b20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "overdue_reminder",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["ab_user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("account_id", "day"),
    )


def downgrade():
    op.drop_table("overdue_reminder")
