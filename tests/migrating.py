"""Migration tests: a scratch SQLite database, migrated step by step with the test app."""
from contextlib import contextmanager

from sqlalchemy import create_engine

from config import BASE_DIR


@contextmanager
def scratch_database(app, path):
    """In the app's context: an engine on a new database at `path`, and
    `upgrade(revision)`, which migrates it (to the head without a revision)."""
    from flask_migrate import upgrade

    engine = create_engine(f"sqlite:///{path}")
    with app.app_context():
        db_ext = app.extensions["sqlalchemy"]
        old = db_ext._app_engines[app][None]   # the app's migrations run on the scratch engine meanwhile
        db_ext._app_engines[app][None] = engine
        try:
            yield engine, lambda revision="head": upgrade(directory=str(BASE_DIR / "migrations"), revision=revision)
        finally:
            db_ext._app_engines[app][None] = old
