"""#10 item 6: ID numbers and phones are encrypted at rest (authenticated,
rotatable keys from settings); a keyed hash serves uniqueness, login and
exact search; lists keep masking; nothing changes for users."""
import re
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select, text

from app.platform.extensions import db
from models import Account
from models.protected import FieldCipher, blind_index
from tests.conftest import APPLICANT_ID, login, page_text


def raw_rows(app):
    with app.app_context():
        return db.session.execute(text("SELECT username, email, id_number, phone, id_number_hmac FROM ab_user")).all()


def test_database_holds_no_clear_id_or_phone(app):
    dump = repr(raw_rows(app))
    assert APPLICANT_ID not in dump and "13800000001" not in dump
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite:///"):
        with app.app_context():
            db.session.execute(text("PRAGMA wal_checkpoint(FULL)"))
        content = Path(url[len("sqlite:///"):]).read_bytes()
        assert APPLICANT_ID.encode() not in content and b"13800000001" not in content
        assert b"13900000001" not in content   # an expert's phone


def test_login_search_and_uniqueness_use_the_keyed_hash(app, client):
    assert login(client, APPLICANT_ID.lower()).status_code == 302
    with app.app_context():
        user = db.session.scalar(select(Account).where(Account.id_number_is(APPLICANT_ID)))
        assert user.id_number == APPLICANT_ID and user.phone == "13800000001"
        assert user.masked_id_number == "1201**********0013"
        twin = Account(username="twin", first_name="x", last_name="", email="twin@example.com", active=True,
                       password=user.password, id_number=APPLICANT_ID)
        db.session.add(twin)
        with pytest.raises(Exception):
            db.session.commit()
        db.session.rollback()


def test_tampered_token_is_refused(app):
    with app.app_context():
        token = db.session.execute(text("SELECT id_number FROM ab_user WHERE id_number IS NOT NULL")).scalar()
        broken = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
        db.session.execute(text("UPDATE ab_user SET id_number = :t WHERE id_number = :o"), {"t": broken, "o": token})
        db.session.commit()
        db.session.expire_all()
        with pytest.raises(ValueError):
            db.session.scalar(select(Account.id_number).where(Account.id_number_hmac.is_not(None)))
        db.session.rollback()


def test_key_rotation(app):
    from app.cli import rotate_field_keys

    old = app.extensions["field_cipher"]
    new = Fernet.generate_key().decode()
    try:
        app.extensions["field_cipher"] = FieldCipher([new, *old.keys])
        with app.app_context():
            rotate_field_keys()
        app.extensions["field_cipher"] = FieldCipher([new])  # the old key is gone
        with app.app_context():
            user = db.session.scalar(select(Account).where(Account.id_number_is(APPLICANT_ID)))
            assert user.id_number == APPLICANT_ID and user.phone == "13800000001"
            from models import Expert   # every encrypted column of every table is rotated
            assert db.session.scalar(select(Expert.phone).where(Expert.name == "王磊")) == "13900000001"
    finally:
        app.extensions["field_cipher"] = old


def test_values_written_as_fernet_tokens_are_read_and_rotated_to_gcm(app):
    """Values encrypted before the GCM format stay readable; the rotation
    command rewrites them in the current format."""
    from app.cli import rotate_field_keys

    cipher = app.extensions["field_cipher"]
    legacy = Fernet(cipher.keys[0].encode()).encrypt(APPLICANT_ID.encode()).decode()
    with app.app_context():
        db.session.execute(text("UPDATE ab_user SET id_number = :t WHERE id_number_hmac = :h"),
                           {"t": legacy, "h": blind_index(APPLICANT_ID)})
        db.session.commit()
        assert db.session.scalar(select(Account.id_number).where(Account.id_number_is(APPLICANT_ID))) == APPLICANT_ID
        rotate_field_keys()
        stored = db.session.execute(text("SELECT id_number FROM ab_user WHERE id_number_hmac = :h"),
                                    {"h": blind_index(APPLICANT_ID)}).scalar()
    assert stored.startswith("v2:") and APPLICANT_ID not in stored
    with app.app_context():
        assert db.session.scalar(select(Account.id_number).where(Account.id_number_is(APPLICANT_ID))) == APPLICANT_ID


def test_a_value_under_an_unknown_key_is_refused(app):
    stranger = FieldCipher([Fernet.generate_key().decode()])
    with app.app_context():
        db.session.execute(text("UPDATE ab_user SET phone = :t WHERE id_number_hmac = :h"),
                           {"t": stranger.encrypt("13800000001"), "h": blind_index(APPLICANT_ID)})
        db.session.commit()
        with pytest.raises(ValueError):
            db.session.scalar(select(Account.phone).where(Account.id_number_is(APPLICANT_ID)))
        db.session.rollback()


def test_lists_keep_masking(app, client):
    login(client, "admin")
    html = page_text(client.get("/users/list/"))
    assert APPLICANT_ID not in html and "13800000001" not in html
    assert "1201**********0013" in html and "sfz_" not in html


def test_production_refuses_to_start_without_keys(monkeypatch):
    from app import create_app

    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    with pytest.raises(RuntimeError, match="FIELD_ENCRYPTION_KEYS"):
        create_app("production", {"SECRET_KEY": "x" * 40, "FIELD_ENCRYPTION_KEYS": None, "FIELD_HMAC_KEY": None,
                                  "SQLALCHEMY_DATABASE_URI": "sqlite://"})


#: a column holding a phone or an ID number, by its name
PERSONAL_COLUMN = re.compile(r"phone|mobile|tel$|id_?number|id_?card|sfz|身份证|手机|电话", re.IGNORECASE)


def test_every_phone_and_id_column_is_encrypted_with_its_keyed_hash(app):
    """A walk over every table: the models' columns named like a phone or an
    ID number are of the encrypted type with a `_hmac` column beside them;
    the database the migrations built has no other such column, and no
    clear value in any of them."""
    from flask_appbuilder import Model
    from sqlalchemy import inspect

    from models.protected import Encrypted, is_token

    clear = []
    for table in Model.metadata.sorted_tables:
        for column in table.columns:
            if PERSONAL_COLUMN.search(column.name) and not column.name.endswith("_hmac"):
                if not isinstance(column.type, Encrypted) or f"{column.name}_hmac" not in table.columns:
                    clear.append(f"{table.name}.{column.name}")
    assert not clear, f"stored in clear: {clear}"
    checked = 0
    with app.app_context():
        inspector = inspect(db.engine)
        for table_name in inspector.get_table_names():
            for column in inspector.get_columns(table_name):
                name = column["name"]
                if not PERSONAL_COLUMN.search(name) or name.endswith("_hmac"):
                    continue
                model = Model.metadata.tables.get(table_name)
                assert model is not None and isinstance(model.c[name].type, Encrypted), f"{table_name}.{name}"
                values = db.session.execute(text(f'SELECT "{name}" FROM "{table_name}" '   # nosec B608 - names from the schema
                                                 f'WHERE "{name}" IS NOT NULL')).scalars().all()
                assert all(is_token(v) for v in values), f"clear value in {table_name}.{name}"
                checked += len(values)
    assert checked > 10   # the demo's accounts, experts and units


def test_a_stored_expert_phone_is_not_readable_in_the_raw_table(app, client):
    from models import Expert
    from models.protected import blind_index
    from tests.conftest import csrf_token

    login(client, "gc_pwh")
    with app.app_context():
        from models import Organisation
        unit = db.session.scalar(select(Organisation.id).where(Organisation.name == "天津市第一机床厂有限公司"))
    response = client.post("/meetings/experts", data={
        "username": "zj_newone", "name": "新专家", "unit_id": str(unit), "series": "05", "major": "机械工程",
        "title": "正高级工程师", "phone": "13912340077", "csrf_token": csrf_token(client, "/meetings/experts")})
    assert response.status_code == 200 and "新专家" in page_text(response)
    assert "13912340077" in page_text(response)   # the committee reads it (an audited read)
    with app.app_context():
        raw = db.session.execute(text("SELECT phone, phone_hmac FROM expert WHERE name = '新专家'")).one()
        assert "13912340077" not in repr(raw) and raw.phone_hmac == blind_index("13912340077")
        assert db.session.scalar(select(Expert.phone).where(Expert.phone_hmac == blind_index("13912340077"))) \
            == "13912340077"
        dump = repr(db.session.execute(text("SELECT * FROM expert")).all())
    assert "13912340077" not in dump and "139" + "0000" not in dump
