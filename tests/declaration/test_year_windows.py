"""申报年度 windows never overlap (M4): while one year is open no other may
be, so the open year's draft stays the applicant's declaration — editable and
submittable until its own window closes. 申报年度设置 refuses an overlapping
window beside the field, naming the other year; the database refuses it too,
even when two windows are saved at the same moment."""
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.declaration.data import overlapping_year
from app.platform.extensions import db
from models import DeclarationYear
from tests.conftest import APPLICANT_ID, csrf_token, login, page_text
from tests.declaring import basic, declaration_id, fill, post, status_of, submit
from tests.platform.test_dates import _beside

THIS_YEAR = date.today().year
TODAY = date.today()


def _save_year(client, path="/years/add", **fields):
    data = {"csrf_token": csrf_token(client, path), "note": "", **fields}
    return client.post(path, data=data)


def _windows(app):
    with app.app_context():
        return {y.year: (y.opens_on, y.closes_on)
                for y in db.session.scalars(select(DeclarationYear).order_by(DeclarationYear.year))}


def test_an_overlapping_window_is_refused_beside_the_field_naming_the_other_year(app, client):
    login(client, "zcb")
    before = _windows(app)
    opens, closes = (TODAY - timedelta(days=1)).isoformat(), (TODAY + timedelta(days=30)).isoformat()
    response = _save_year(client, year=str(THIS_YEAR + 1), opens_on=opens, closes_on=closes)
    assert response.status_code == 200
    html = page_text(response)
    _beside(html, "opens_on", f"与{THIS_YEAR}年度的申报时间（{THIS_YEAR}-01-01至{THIS_YEAR}-12-31）重叠", opens)
    assert f'value="{closes}"' in html                       # nothing typed is lost
    assert _windows(app) == before


def test_editing_a_window_into_another_is_refused_and_its_own_window_may_move(app, client):
    login(client, "zcb")
    assert _save_year(client, year=str(THIS_YEAR + 1), opens_on=f"{THIS_YEAR + 1}-01-01",
                      closes_on=f"{THIS_YEAR + 1}-03-31").status_code == 302    # the day after: allowed
    with app.app_context():
        next_id = db.session.scalar(select(DeclarationYear.id).where(DeclarationYear.year == THIS_YEAR + 1))
        this_id = db.session.scalar(select(DeclarationYear.id).where(DeclarationYear.year == THIS_YEAR))
    path = f"/years/edit/{next_id}"
    html = page_text(_save_year(client, path, year=str(THIS_YEAR + 1), opens_on=f"{THIS_YEAR}-12-31",
                                closes_on=f"{THIS_YEAR + 1}-03-31"))
    _beside(html, "opens_on", f"与{THIS_YEAR}年度的申报时间", f"{THIS_YEAR}-12-31")
    # a window overlapping only itself (moved or lengthened) is saved
    path = f"/years/edit/{this_id}"
    assert _save_year(client, path, year=str(THIS_YEAR), opens_on=f"{THIS_YEAR}-01-02",
                      closes_on=f"{THIS_YEAR}-12-31").status_code == 302
    assert _windows(app)[THIS_YEAR][0] == date(THIS_YEAR, 1, 2)


def test_the_open_years_draft_stays_reachable_and_submittable(app, client):
    login(client, APPLICANT_ID)
    assert post(client, "/declaration/basic", basic(app)).status_code == 302
    draft = declaration_id(app)
    login(client, "zcb")
    assert _save_year(client, year=str(THIS_YEAR + 1), opens_on=(TODAY + timedelta(days=1)).isoformat(),
                      closes_on=(TODAY + timedelta(days=60)).isoformat()).status_code == 200   # refused
    # next year's window after this one closes: saved, and this year stays the open one
    with app.app_context():
        db.session.add(DeclarationYear(year=THIS_YEAR + 1, opens_on=date(THIS_YEAR + 1, 1, 1),
                                       closes_on=date(THIS_YEAR + 1, 3, 31)))
        db.session.commit()
    login(client, APPLICANT_ID)
    home = page_text(client.get("/"))
    assert f"{THIS_YEAR}年度申报：" in home and 'id="my-status">填写中' in home and "您还没有" not in home
    assert "天津百利机械装备集团有限公司" in page_text(client.get("/declaration/basic"))
    fill(client, app)
    assert declaration_id(app) == draft
    assert submit(client).status_code == 302
    assert status_of(app, draft) == "unit_review"


@pytest.mark.parametrize("step", ["insert", "update"])
def test_the_database_refuses_two_windows_saved_at_once(app, step):
    """Two title-office clerks check at the same moment and both see no
    overlap; the second save is refused by the database, not left to the view."""
    with app.app_context():
        if step == "update":
            db.session.add(DeclarationYear(year=THIS_YEAR + 1, opens_on=date(THIS_YEAR + 1, 1, 1),
                                           closes_on=date(THIS_YEAR + 1, 3, 31)))
            db.session.commit()
        first, second = Session(db.engine), Session(db.engine)
        try:
            window = (date(THIS_YEAR + 2, 1, 1), date(THIS_YEAR + 2, 3, 31))
            for s in (first, second):    # both look before either saves
                assert s.scalar(select(DeclarationYear.id).where(
                    DeclarationYear.opens_on <= window[1], DeclarationYear.closes_on >= window[0])) is None
            first.add(DeclarationYear(year=THIS_YEAR + 2, opens_on=window[0], closes_on=window[1]))
            first.commit()
            if step == "insert":
                second.add(DeclarationYear(year=THIS_YEAR + 3, opens_on=window[0], closes_on=window[1]))
            else:
                row = second.scalar(select(DeclarationYear).where(DeclarationYear.year == THIS_YEAR + 1))
                row.closes_on = date(THIS_YEAR + 2, 2, 1)
            with pytest.raises(IntegrityError):
                second.commit()
        finally:
            second.rollback()
            first.close()
            second.close()
        assert [y for y in _windows(app) if y > THIS_YEAR] == [THIS_YEAR + 1, THIS_YEAR + 2][step == "insert":]
        assert _windows(app).get(THIS_YEAR + 1, (None, date(THIS_YEAR + 1, 3, 31)))[1] == date(THIS_YEAR + 1, 3, 31)


def test_the_view_says_so_when_the_database_refuses_the_second_of_two_saves(app, client, monkeypatch):
    import views.settings

    login(client, "zcb")
    monkeypatch.setattr(views.settings, "overlapping_year", lambda *a, **k: None)   # both looked before either saved
    response = _save_year(client, year=str(THIS_YEAR + 1), opens_on=TODAY.isoformat(),
                          closes_on=(TODAY + timedelta(days=3)).isoformat())
    assert response.status_code == 302
    assert views.settings.RACE_MESSAGE in page_text(client.get(response.headers["Location"]))
    assert THIS_YEAR + 1 not in _windows(app)
