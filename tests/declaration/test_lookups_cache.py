"""Dictionaries are read once per worker and read again after any change (#13)."""
import pytest
from sqlalchemy import select

from app.declaration.data import DICTIONARY_VERSION_KEY, dictionaries, lookups
from app.platform.extensions import db
from app.platform.kvstore import kv
from models import DictItem


@pytest.fixture(autouse=True)
def restore_names(app):
    """Dictionaries are not part of the wiped world: put the names back."""
    with app.app_context():
        names = {(i.kind, i.code): i.name for i in db.session.scalars(select(DictItem))}
    yield
    with app.app_context():
        for item in db.session.scalars(select(DictItem)):
            item.name = names[item.kind, item.code]
        db.session.commit()


def test_dictionaries_are_kept_between_requests(app):
    with app.test_request_context():
        first = dictionaries()
    with app.test_request_context():
        assert dictionaries() is first          # no second read while nothing changed
        assert lookups().dictionaries is first


def test_an_administrators_change_is_seen_by_the_next_request(app):
    with app.test_request_context():
        item = db.session.scalar(select(DictItem).where(DictItem.kind == "ethnicity", DictItem.code == "01"))
        before = lookups().name("ethnicity", "01")
        old = dictionaries()
        item.name = before + "（改）"
        db.session.commit()                      # what the back office's save does
    with app.test_request_context():
        assert lookups().name("ethnicity", "01") == before + "（改）"
        assert dictionaries() is not old


def test_a_change_made_by_another_worker_is_seen(app):
    """Another process bumps the shared version; this worker reads again."""
    with app.test_request_context():
        old = dictionaries()
        db.session.execute(DictItem.__table__.update().where(DictItem.kind == "gender", DictItem.code == "1")
                           .values(name="男性"))
        db.session.commit()                      # a Core update: no ORM event in this process
        assert dictionaries() is old             # …so this worker does not know yet
        kv().set(DICTIONARY_VERSION_KEY, "set-by-another-worker", 60)
        assert lookups().name("gender", "1") == "男性"


def test_a_rolled_back_change_publishes_nothing(app):
    with app.test_request_context():
        old = dictionaries()
        item = db.session.scalar(select(DictItem).where(DictItem.kind == "gender", DictItem.code == "2"))
        item.name = "不保存"
        db.session.flush()
        db.session.rollback()
        assert dictionaries() is old
        assert lookups().name("gender", "2") != "不保存"


def test_opening_a_year_is_seen_at_once(app):
    """申报年度 windows are kept with the dictionaries: a new window counts at once."""
    from datetime import date, timedelta

    from app.declaration.data import current_year
    from models import DeclarationYear

    with app.test_request_context():
        assert current_year() == date.today().year
        this = db.session.scalar(select(DeclarationYear).where(DeclarationYear.year == date.today().year))
        db.session.delete(this)
        db.session.add(DeclarationYear(year=date.today().year + 1, opens_on=date.today() - timedelta(days=1),
                                       closes_on=date.today() + timedelta(days=1)))
        db.session.commit()
    with app.test_request_context():
        assert current_year() == date.today().year + 1
