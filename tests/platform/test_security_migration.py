"""The #10 migration repairs plain-text passwords and empty phones."""
from sqlalchemy import text
from werkzeug.security import check_password_hash

from tests.migrating import scratch_database


def test_migration_hashes_plain_passwords_and_nulls_empty_phones(tmp_path, app):
    with scratch_database(app, tmp_path / "m.db") as (engine, upgrade):
        upgrade("a1d17e5e0001")
        with engine.begin() as conn:
            for i, (name, password, phone) in enumerate([("a", "Plain2026x", ""), ("b", "scrypt:32768:8:1$x$y", None),
                                                         ("c", None, "13700000000")]):
                conn.execute(text(
                    "INSERT INTO ab_user (id, first_name, last_name, username, password, active, email, phone, "
                    "must_change_password) VALUES (:i, 'x', '', :n, :p, 1, :e, :ph, 0)"),
                    {"i": i + 1, "n": name, "p": password, "e": f"{name}@example.com", "ph": phone})
        upgrade()
        with engine.connect() as conn:
            rows = {r.username: r for r in conn.execute(text(
                "SELECT username, password, phone, must_change_password FROM ab_user"))}
    assert check_password_hash(rows["a"].password, "Plain2026x") and rows["a"].must_change_password
    assert rows["b"].password == "scrypt:32768:8:1$x$y" and not rows["b"].must_change_password
    assert rows["a"].phone is None and rows["b"].phone is None
    with app.app_context():
        from models.protected import decrypt

        assert rows["c"].phone != "13700000000" and decrypt(rows["c"].phone) == "13700000000"


def test_migration_encrypts_every_clear_phone(tmp_path, app):
    """Experts' and units' phones stored in clear before are encrypted, with
    their keyed hashes, on SQLite and on PostgreSQL."""
    from datetime import datetime

    import sqlalchemy as sa

    org = sa.table("organisation", *(sa.column(c) for c in ("id", "name", "kind", "contact_phone", "active",
                                                             "created_at")))
    expert = sa.table("expert", *(sa.column(c) for c in ("id", "name", "unit_name", "series", "major", "title",
                                                          "phone", "available")))
    with scratch_database(app, tmp_path / "m.db", same_kind=True) as (engine, upgrade):
        upgrade("e5b8a0c4d7f1")
        with engine.begin() as conn:
            conn.execute(sa.insert(org), [
                {"id": 1, "name": "甲单位", "kind": "unit", "contact_phone": "022-23456789", "active": True,
                 "created_at": datetime(2026, 1, 1)},
                {"id": 2, "name": "乙单位", "kind": "unit", "contact_phone": None, "active": True,
                 "created_at": datetime(2026, 1, 1)}])
            conn.execute(sa.insert(expert), [
                {"id": 1, "name": "王专家", "unit_name": "", "series": "05", "major": "机械", "title": "",
                 "phone": "13912345678", "available": True},
                {"id": 2, "name": "李专家", "unit_name": "", "series": "05", "major": "机械", "title": "",
                 "phone": "", "available": True}])
        upgrade()
        with engine.connect() as conn:
            orgs = conn.execute(text("SELECT id, contact_phone, contact_phone_hmac FROM organisation "
                                     "ORDER BY id")).all()
            experts = conn.execute(text("SELECT id, phone, phone_hmac FROM expert ORDER BY id")).all()
            if engine.dialect.name == "sqlite":   # the rebuilt table keeps the unit search's index
                assert conn.execute(text("SELECT 1 FROM sqlite_master WHERE name = 'ix_organisation_unit_names'"
                                         )).scalar() == 1
    with app.app_context():
        from models.protected import blind_index, decrypt, is_token

        assert is_token(orgs[0].contact_phone) and decrypt(orgs[0].contact_phone) == "022-23456789"
        assert orgs[0].contact_phone_hmac == blind_index("022-23456789") and orgs[1].contact_phone is None
        assert is_token(experts[0].phone) and decrypt(experts[0].phone) == "13912345678"
        assert experts[0].phone_hmac == blind_index("13912345678")
        assert experts[1].phone is None and experts[1].phone_hmac is None
