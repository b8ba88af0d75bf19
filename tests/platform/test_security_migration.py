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
