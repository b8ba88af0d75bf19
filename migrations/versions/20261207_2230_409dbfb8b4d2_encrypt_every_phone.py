"""every phone column encrypted with its keyed hash, like the accounts' ID
numbers and phones: the experts' phones and the units' contact phones
(widened to hold the token; each gets its `_hmac` column); values already
stored in clear are encrypted here. Runs through `flask db upgrade` /
`flask setup`, which supply the keys.

Revision ID: 409dbfb8b4d2
Revises: e5b8a0c4d7f1
Create Date: 2026-12-07 22:30:00

"""
import warnings
from contextlib import contextmanager

from alembic import op
import sqlalchemy as sa


revision = '409dbfb8b4d2'
down_revision = 'e5b8a0c4d7f1'
branch_labels = None
depends_on = None

#: table, column, its width before
PHONES = (('expert', 'phone', 11), ('organisation', 'contact_phone', 30))


def upgrade():
    for table, column, width in PHONES:
        with _rebuild(table) as batch_op:
            batch_op.alter_column(column, existing_type=sa.String(length=width), type_=sa.String(length=255),
                                  existing_nullable=True)
            batch_op.add_column(sa.Column(f'{column}_hmac', sa.String(length=64), nullable=True))
    _keep_unit_search_index()
    conn = op.get_bind()
    from models.protected import blind_index, encrypt, is_token

    for table, column, _width in PHONES:
        t = sa.table(table, sa.column('id', sa.Integer), sa.column(column, sa.String),
                     sa.column(f'{column}_hmac', sa.String))
        for row_id, value in conn.execute(sa.select(t.c.id, t.c[column]).where(t.c[column].is_not(None))).all():
            if is_token(value):
                continue
            clear = value.strip() or None   # empty means absent, as everywhere else
            conn.execute(sa.update(t).where(t.c.id == row_id).values(
                {column: encrypt(clear), f'{column}_hmac': blind_index(clear)}))


def downgrade():
    conn = op.get_bind()
    from models.protected import decrypt

    for table, column, width in PHONES:
        t = sa.table(table, sa.column('id', sa.Integer), sa.column(column, sa.String))
        for row_id, value in conn.execute(sa.select(t.c.id, t.c[column]).where(t.c[column].is_not(None))).all():
            conn.execute(sa.update(t).where(t.c.id == row_id).values({column: (decrypt(value) or '')[:width] or None}))
        with _rebuild(table) as batch_op:
            batch_op.drop_column(f'{column}_hmac')
            batch_op.alter_column(column, existing_type=sa.String(length=255), type_=sa.String(length=width),
                                  existing_nullable=True)
    _keep_unit_search_index()


@contextmanager
def _rebuild(table):
    with warnings.catch_warnings():
        # SQLAlchemy cannot reflect the index on an expression; made again below
        warnings.filterwarnings('ignore', 'Skipped unsupported reflection of expression-based index')
        with op.batch_alter_table(table, schema=None) as batch_op:
            yield batch_op


def _keep_unit_search_index():
    # SQLite rebuilds the table for a change of type, and the rebuild cannot carry
    # an index on an expression: make it again (PostgreSQL altered it in place).
    if op.get_bind().dialect.name == 'sqlite':
        op.create_index('ix_organisation_unit_names', 'organisation', [sa.text('length(name)'), 'name'],
                        unique=False, if_not_exists=True)
