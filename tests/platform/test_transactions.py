"""How a request's transaction ends: a request that only read commits (so
PostgreSQL keeps its prepared statements, #13); one that changed something
without committing it, failed, or left changes pending is rolled back."""
import pytest
from sqlalchemy import event, select, update

from app.platform.extensions import db
from app.platform.transactions import _commit_if_read_only
from models import Organisation
from tests.conftest import APPLICANT_ID, login


@pytest.fixture
def endings(app):
    """'commit' / 'rollback' for every transaction ended meanwhile that ran a
    statement (the shared store's own, on SQLite its kv_entry table, left out)."""
    seen = []
    with app.app_context():
        engine = db.engine

    def ran(conn, cursor, sql, parameters, context, executemany):
        if "kv_entry" not in sql:
            conn.info["test_ran"] = True

    def ending(kind):
        return lambda conn: conn.info.pop("test_ran", False) and seen.append(kind)

    listeners = [("before_cursor_execute", ran), ("commit", ending("commit")), ("rollback", ending("rollback"))]
    for name, listener in listeners:
        event.listen(engine, name, listener)
    yield seen
    for name, listener in listeners:
        event.remove(engine, name, listener)


def _unit_name(app, unit_id):
    with app.app_context():
        return db.session.scalar(select(Organisation.name).where(Organisation.id == unit_id))


def _some_unit(app):
    with app.app_context():
        return db.session.scalar(select(Organisation.id).where(Organisation.kind == "unit").limit(1))


def test_a_page_that_only_reads_ends_with_a_commit(client, endings):
    login(client, APPLICANT_ID)
    endings.clear()
    assert client.get("/declaration/basic").status_code == 200
    assert endings == ["commit"]


def test_what_a_read_only_transaction_loaded_stays_readable_after_it(app, endings):
    """The commit expires nothing: objects read in an app context can be read
    once it is over, as after the rollback it replaces."""
    with app.app_context():
        unit = db.session.scalar(select(Organisation).where(Organisation.kind == "unit").limit(1))
    assert endings == ["commit"] and unit.name and unit.kind == "unit"


def test_changes_made_without_a_commit_are_rolled_back(app, endings):
    unit = _some_unit(app)
    before = _unit_name(app, unit)
    with app.app_context():     # a statement that changed a row, never committed
        db.session.execute(update(Organisation).where(Organisation.id == unit).values(name="改了没提交"))
        endings.clear()
        _commit_if_read_only(None)
        db.session.remove()
    assert endings == ["rollback"] and _unit_name(app, unit) == before
    with app.app_context():     # an object changed in the session, not flushed
        db.session.get(Organisation, unit).name = "也没提交"
        endings.clear()
        _commit_if_read_only(None)
        db.session.remove()
    assert endings == ["rollback"] and _unit_name(app, unit) == before


def test_a_failed_request_is_rolled_back_even_if_it_only_read(app, endings):
    with app.app_context():
        db.session.scalar(select(Organisation.id).limit(1))
        endings.clear()
        _commit_if_read_only(RuntimeError("the view failed"))
        db.session.remove()
    assert endings == ["rollback"]


def test_a_read_only_transaction_after_a_committed_change_still_commits(app, endings):
    """The mark is the transaction's, not the connection's: a change committed
    earlier on the same connection does not stop the next read from committing."""
    unit = _some_unit(app)
    with app.app_context():
        db.session.execute(update(Organisation).where(Organisation.id == unit).values(contact_person="张三"))
        db.session.commit()
        db.session.scalar(select(Organisation.name).where(Organisation.id == unit))
        endings.clear()
        _commit_if_read_only(None)
        db.session.remove()
    assert endings == ["commit"]


def test_prepared_statements_outlive_a_read_only_request(app):
    """psycopg prepares a statement after its fifth run and forgets them all
    when a transaction is rolled back. PostgreSQL only."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("prepared statements are PostgreSQL's")
        for _ in range(6):
            db.session.scalar(select(Organisation.id).where(Organisation.kind == "unit").limit(1))
        connection = db.session.connection().connection.dbapi_connection
        _commit_if_read_only(None)
        db.session.remove()
        kept = connection.execute("SELECT count(*) FROM pg_prepared_statements").fetchone()[0]
        connection.rollback()
    assert kept >= 1
    with app.app_context():     # and what the rollback that used to end such a request did
        for _ in range(6):
            db.session.scalar(select(Organisation.id).where(Organisation.kind == "unit").limit(1))
        connection = db.session.connection().connection.dbapi_connection
        db.session.remove()
        lost = connection.execute("SELECT count(*) FROM pg_prepared_statements").fetchone()[0]
        connection.rollback()
    assert lost == 0
