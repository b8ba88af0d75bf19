"""security and privacy (#10, #9 items 1 and 16): repair administrator-set
plain-text passwords (hash them, force a change at the next login) and store
NULL, not '', for accounts without a phone.

Revision ID: b10c5ecf0001
Revises: 9a0c0de10001
Create Date: 2026-11-27 06:05:00

"""
from alembic import op
import sqlalchemy as sa
from werkzeug.security import generate_password_hash


revision = 'b10c5ecf0001'
down_revision = '9a0c0de10001'
branch_labels = None
depends_on = None

HASH_PREFIXES = ("scrypt:", "pbkdf2:")


def upgrade():
    conn = op.get_bind()
    users = sa.table("ab_user", sa.column("id", sa.Integer), sa.column("password", sa.String),
                     sa.column("phone", sa.String), sa.column("must_change_password", sa.Boolean))
    conn.execute(sa.update(users).where(users.c.phone == "").values(phone=None))
    for user_id, password in conn.execute(sa.select(users.c.id, users.c.password)).all():
        if password and not password.startswith(HASH_PREFIXES):
            # The stored text is what the administrator typed: keep it working
            # once, hashed, and make the owner choose a new password.
            conn.execute(sa.update(users).where(users.c.id == user_id).values(
                password=generate_password_hash(password, method="scrypt"), must_change_password=True))


def downgrade():
    pass  # hashes cannot (and must not) be turned back into plain text
