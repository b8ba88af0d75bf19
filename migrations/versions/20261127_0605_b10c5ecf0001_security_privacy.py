"""security and privacy (#10, #9 items 1 and 16): repair administrator-set
plain-text passwords (hash them, force a change at the next login); store
NULL, not '', for accounts without a phone; encrypt ID numbers and phones
with the configured keys and add their keyed hashes (applicants' user
names, which were their ID numbers, become names derived from the hash).
Runs through `flask db upgrade` / `flask setup`, which supply the keys.

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
    with op.batch_alter_table('ab_user', schema=None) as batch_op:
        batch_op.alter_column('id_number', existing_type=sa.String(length=18), type_=sa.String(length=255))
        batch_op.alter_column('phone', existing_type=sa.String(length=11), type_=sa.String(length=255))
        batch_op.add_column(sa.Column('id_number_hmac', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('phone_hmac', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('mfa_secret', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('mfa_recovery', sa.Text(), nullable=True))
        batch_op.create_unique_constraint('uq_ab_user_id_number_hmac', ['id_number_hmac'])
        batch_op.create_unique_constraint('uq_ab_user_phone_hmac', ['phone_hmac'])
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
    _encrypt_identifiers(conn)


def _encrypt_identifiers(conn):
    from models.protected import blind_index, encrypt, is_token
    from models.user import applicant_username

    users = sa.table("ab_user", sa.column("id", sa.Integer), sa.column("username", sa.String),
                     sa.column("id_number", sa.String), sa.column("phone", sa.String),
                     sa.column("id_number_hmac", sa.String), sa.column("phone_hmac", sa.String))
    rows = conn.execute(sa.select(users.c.id, users.c.username, users.c.id_number, users.c.phone)).all()
    for user_id, username, id_number, phone in rows:
        values = {}
        if id_number and not is_token(id_number):
            values.update(id_number=encrypt(id_number), id_number_hmac=blind_index(id_number))
            if username == id_number:
                values["username"] = applicant_username(id_number)
        if phone and not is_token(phone):
            values.update(phone=encrypt(phone), phone_hmac=blind_index(phone))
        if values:
            conn.execute(sa.update(users).where(users.c.id == user_id).values(**values))


def downgrade():
    # Password hashes cannot (and must not) be turned back into plain text;
    # identifiers stay encrypted (decrypt with the keys before going back).
    with op.batch_alter_table('ab_user', schema=None) as batch_op:
        batch_op.drop_constraint('uq_ab_user_phone_hmac', type_='unique')
        batch_op.drop_constraint('uq_ab_user_id_number_hmac', type_='unique')
        batch_op.drop_column('mfa_recovery')
        batch_op.drop_column('mfa_secret')
        batch_op.drop_column('phone_hmac')
        batch_op.drop_column('id_number_hmac')
