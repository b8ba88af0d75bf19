"""units: empty 统一社会信用代码 stored as NULL; 获奖 label 奖项授权单位

Revision ID: 9a0c0de10001
Revises: a1d17e5e0001
Create Date: 2026-11-27 06:15:00

"""
from alembic import op
import sqlalchemy as sa


revision = '9a0c0de10001'
down_revision = 'a1d17e5e0001'
branch_labels = None
depends_on = None


def upgrade():
    # An optional unique value is NULL when empty: '' let only one unit go without a code (#9).
    op.execute("UPDATE organisation SET credit_code = NULL WHERE TRIM(credit_code) = ''")
    _comment('奖项授权单位', '授奖单位')


def downgrade():
    _comment('授奖单位', '奖项授权单位')


def _comment(new, old):
    # SQLite keeps no column comments (and would rebuild the table for nothing)
    if op.get_bind().dialect.name == 'sqlite':
        return
    op.alter_column('sec_awards', 'issuer', existing_type=sa.String(length=50), comment=new, existing_comment=old,
                    existing_nullable=True)
