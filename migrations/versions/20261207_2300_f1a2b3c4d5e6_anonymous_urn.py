"""the anonymous vote keeps no order of casting: an open vote's ballots become
the urn's counters on group_declaration, every stored ballot and who-voted row
is written anew in a random order, a closed tally is checked against the
experts present, and the applicant's history reads plain words, not the tally

Revision ID: f1a2b3c4d5e6
Revises: 409dbfb8b4d2
Create Date: 2026-12-07 23:00:00.000000

"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f1a2b3c4d5e6'
down_revision = '409dbfb8b4d2'
branch_labels = None
depends_on = None

OUTCOME_WORDS = {"pass": "经评委会无记名投票表决，评审通过",   # nosec B105 - a workflow step's name, not a password
                 "fail": "经评委会无记名投票表决，评审未通过"}


def upgrade():
    conn = op.get_bind()
    # an open vote: its ballots so far become the urn's counters
    for choice in ("yes", "no", "abstain"):
        conn.execute(sa.text(
            f"UPDATE group_declaration SET {choice} = (SELECT count(*) FROM ballot b "   # nosec B608 - fixed names
            f"WHERE b.group_id = group_declaration.group_id AND b.declaration_id = group_declaration.declaration_id "
            f"AND b.choice = '{choice}') "
            "WHERE group_id IN (SELECT id FROM review_group WHERE vote_closed_at IS NULL)"))
        conn.execute(sa.text(f"UPDATE group_declaration SET {choice} = 0 WHERE {choice} IS NULL"))  # nosec B608
    conn.execute(sa.text("DELETE FROM ballot WHERE group_id IN (SELECT id FROM review_group "
                         "WHERE vote_closed_at IS NULL)"))
    # the stored ballots and who-voted rows, written again in a random order
    shuffle = secrets.SystemRandom().shuffle
    ballots = [dict(r._mapping) for r in conn.execute(sa.text(
        "SELECT group_id, declaration_id, choice FROM ballot"))]
    voted = [dict(r._mapping) for r in conn.execute(sa.text(
        "SELECT group_id, declaration_id, expert_id FROM vote_cast"))]
    shuffle(ballots)
    shuffle(voted)
    conn.execute(sa.text("DELETE FROM ballot"))
    conn.execute(sa.text("DELETE FROM vote_cast"))
    for row in ballots:
        conn.execute(sa.text("INSERT INTO ballot (id, group_id, declaration_id, choice) "
                             "VALUES (:id, :group_id, :declaration_id, :choice)"),
                     {**row, "id": secrets.token_hex(16)})
    for row in voted:
        conn.execute(sa.text("INSERT INTO vote_cast (group_id, declaration_id, expert_id) "
                             "VALUES (:group_id, :declaration_id, :expert_id)"), row)
    with op.batch_alter_table('group_declaration') as batch:
        for choice in ("yes", "no", "abstain"):
            batch.alter_column(choice, existing_type=sa.Integer(), nullable=False, server_default="0")
        batch.create_check_constraint("ck_group_declaration_counts", "yes >= 0 AND no >= 0 AND abstain >= 0")
        batch.create_check_constraint(
            "ck_group_declaration_tally", "present IS NULL OR (yes + no + abstain <= present AND present <= expected)")
    # the applicant reads the outcome in plain words (W14); the tally stays on group_declaration
    for action, words in OUTCOME_WORDS.items():
        conn.execute(sa.text("UPDATE review_event SET opinion = :words WHERE action = :action "
                             "AND opinion LIKE '表决结果：%'"), {"words": words, "action": action})


def downgrade():
    with op.batch_alter_table('group_declaration') as batch:
        batch.drop_constraint("ck_group_declaration_tally", type_="check")
        batch.drop_constraint("ck_group_declaration_counts", type_="check")
        for choice in ("yes", "no", "abstain"):
            batch.alter_column(choice, existing_type=sa.Integer(), nullable=True, server_default=None)
