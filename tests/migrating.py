"""Migration tests: a scratch database, migrated step by step with the test app."""
from contextlib import contextmanager

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from config import BASE_DIR


@contextmanager
def scratch_database(app, path, *, same_kind=False):
    """In the app's context: an engine on a new database, and
    `upgrade(revision)`, which migrates it (to the head without a revision).
    The database is SQLite at `path`; with `same_kind`, a PostgreSQL database
    beside the app's when the app runs on PostgreSQL (dropped afterwards)."""
    from flask_migrate import upgrade

    app_url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    scratch_url = None
    if same_kind and app_url.get_backend_name() == "postgresql":
        scratch_url = app_url.set(database=f"{app_url.database}_scratch")
        _server(app_url, f'DROP DATABASE IF EXISTS "{scratch_url.database}" WITH (FORCE)',
                f'CREATE DATABASE "{scratch_url.database}"')
    engine = create_engine(scratch_url or f"sqlite:///{path}")
    with app.app_context():
        db_ext = app.extensions["sqlalchemy"]
        old = db_ext._app_engines[app][None]   # the app's migrations run on the scratch engine meanwhile
        db_ext._app_engines[app][None] = engine
        try:
            yield engine, lambda revision="head": upgrade(directory=str(BASE_DIR / "migrations"), revision=revision)
        finally:
            db_ext._app_engines[app][None] = old
            engine.dispose()
            if scratch_url is not None:
                _server(app_url, f'DROP DATABASE IF EXISTS "{scratch_url.database}" WITH (FORCE)')


def _server(url, *statements):
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            for statement in statements:
                conn.exec_driver_sql(statement)
    finally:
        engine.dispose()
