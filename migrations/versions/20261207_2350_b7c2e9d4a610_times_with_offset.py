"""every stored time carries its UTC offset: the naive timestamps become
timestamptz on PostgreSQL, each old value declared a local time of TIME_ZONE
(Asia/Shanghai unless set), which is what they are on a server that ran in
Beijing time. SQLite has no such type: its stored text stays as it is and is
read as a local time of TIME_ZONE (models.clock.AwareDateTime), so nothing
changes there.

Revision ID: b7c2e9d4a610
Revises: b8d4f0e26c31
Create Date: 2026-12-07 23:40:00.000000

"""
import os
import re

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7c2e9d4a610'
down_revision = 'b8d4f0e26c31'
branch_labels = None
depends_on = None

COLUMNS = {
    'ab_user': ('agreement_accepted_at', 'changed_on', 'created_on', 'last_login', 'locked_until',
                'password_changed_at', 'temp_password_expires'),
    'announcement': ('created_at',),
    'attachment': ('created_at',),
    'certificate': ('revoked_at',),
    'correction_deadline': ('created_at', 'expired_at'),
    'declaration': ('created_at', 'submitted_at', 'updated_at'),
    'defence_arrangement': ('imported_at',),
    'expert_conflict': ('created_at',),
    'expert_draw': ('drawn_at',),
    'export_job': ('created_at', 'finished_at', 'heartbeat_at'),
    'meeting': ('created_at', 'opened_at'),
    'notification': ('created_at', 'read_at', 'sms_sent_at'),
    'objection': ('created_at', 'handled_at'),
    'organisation': ('created_at',),
    'pledge_confirmation': ('confirmed_at',),
    'review_event': ('created_at', 'ended_at'),
    'review_group': ('vote_closed_at',),
    'review_opinion': ('updated_at',),
    'sec_accounting': ('created_at', 'updated_at'),
    'sec_achievements': ('created_at', 'updated_at'),
    'sec_assessments': ('created_at', 'updated_at'),
    'sec_associations': ('created_at', 'updated_at'),
    'sec_awards': ('created_at', 'updated_at'),
    'sec_basic': ('created_at', 'updated_at'),
    'sec_books': ('created_at', 'updated_at'),
    'sec_education': ('created_at', 'updated_at'),
    'sec_experience': ('created_at', 'updated_at'),
    'sec_health': ('created_at', 'updated_at'),
    'sec_health_papers': ('created_at', 'updated_at'),
    'sec_health_projects': ('created_at', 'updated_at'),
    'sec_papers': ('created_at', 'updated_at'),
    'sec_patents': ('created_at', 'updated_at'),
    'sec_qualification': ('created_at', 'updated_at'),
    'sec_teacher': ('created_at', 'updated_at'),
    'sec_teacher_research': ('created_at', 'updated_at'),
    'sec_teacher_resume': ('created_at', 'updated_at'),
    'sec_teacher_teaching': ('created_at', 'updated_at'),
    'sec_training': ('created_at', 'updated_at'),
    'site_text': ('updated_at',),
}


def _zone():
    name = os.environ.get("TIME_ZONE") or "Asia/Shanghai"
    if not re.fullmatch(r"[A-Za-z0-9_+\-/]+", name):
        raise RuntimeError(f"TIME_ZONE is not a zone name: {name!r}")
    return name


def _convert(to_type, from_type):
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    zone = _zone()
    present = sa.inspect(conn)
    tables = set(present.get_table_names())
    for table, columns in COLUMNS.items():
        if table not in tables:
            continue
        types = {c["name"]: c["type"] for c in present.get_columns(table)}
        for column in columns:
            kind = types.get(column)
            if kind is None or bool(getattr(kind, "timezone", False)) != (from_type == "timestamptz"):
                continue
            # names from the list above; the zone checked above
            op.execute(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE {to_type} '
                       f"USING \"{column}\" AT TIME ZONE '{zone}'")


def upgrade():
    _convert("timestamptz", "timestamp")


def downgrade():
    _convert("timestamp", "timestamptz")
