"""Dates nobody typed are never saved: every date field of every form reads
what was typed with the one parser; a day that does not exist is refused
with one message beside its field and stays in the box as typed; common
unambiguous forms (20270301, 2027/3/1, 2027年3月1日) mean that day."""
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.platform.extensions import db
from models import Announcement, DeclarationYear, Meeting, ReviewGroup, clock
from models.registry.fields import DATE_IMPOSSIBLE, DATE_INCOMPLETE, Invalid, parse_date
from tests.conftest import APPLICANT_ID, csrf_token, login, page_text
from tests.declaring import declaration_id, fill, submit


@pytest.mark.parametrize("typed, day", [("2027-03-01", date(2027, 3, 1)), ("20270301", date(2027, 3, 1)),
                                        ("2027/3/1", date(2027, 3, 1)), ("2027年3月1日", date(2027, 3, 1)),
                                        ("２０２７－０３－０１", date(2027, 3, 1)), (" 2027.3.1 ", date(2027, 3, 1)),
                                        ("", None)])
def test_one_parser_reads_the_common_forms(typed, day):
    assert parse_date(typed, month_ok=False) == day


@pytest.mark.parametrize("typed, message", [("2027-02-30", DATE_IMPOSSIBLE), ("20270230", DATE_IMPOSSIBLE),
                                            ("2027/2/29", DATE_IMPOSSIBLE), ("2027-13-01", DATE_IMPOSSIBLE),
                                            ("2027-03", DATE_INCOMPLETE), ("03/01/2027", "日期格式不正确"),
                                            ("明天", "日期格式不正确")])
def test_one_parser_refuses_what_is_not_a_day(typed, message):
    with pytest.raises(Invalid) as refused:
        parse_date(typed, month_ok=False)
    assert message in str(refused.value)
    assert parse_date("2027-03") == date(2027, 3, 1)   # the declaration's month dates (D18) still mean the 1st


def _beside(html: str, name: str, message: str, typed: str) -> None:
    """The box holds what was typed and the message follows it within its form group."""
    box = re.search(r'<input[^>]*name="%s"[^>]*>' % name, html)
    assert box and f'value="{typed}"' in box.group(0), (name, box and box.group(0))
    after = html[box.end():box.end() + 1500]
    assert message in after.split('class="form-group')[0], (name, after[:600])


def _year_form(client, **changes):
    data = {"csrf_token": csrf_token(client, "/years/add"), "year": "2031", "opens_on": "2031-03-01",
            "closes_on": "2031-05-31", "note": ""}
    data.update(changes)
    return client.post("/years/add", data=data)


def _years(app):
    with app.app_context():
        return db.session.scalars(select(DeclarationYear).where(DeclarationYear.year == 2031)).all()


@pytest.mark.parametrize("typed", ["2027-02-30", "2031-02-29", "2031-03"])
def test_settings_refuse_a_day_that_does_not_exist_and_keep_it(app, client, typed):
    login(client, "zcb")
    response = _year_form(client, opens_on=typed)
    html = page_text(response)
    message = DATE_INCOMPLETE if typed == "2031-03" else DATE_IMPOSSIBLE
    _beside(html, "opens_on", message, typed)
    assert "请选择开始日期" not in html
    assert not _years(app)


@pytest.mark.parametrize("typed", ["20310301", "2031/3/1", "2031年3月1日"])
def test_settings_read_unambiguous_forms_as_that_day(app, client, typed):
    login(client, "zcb")
    assert _year_form(client, opens_on=typed).status_code == 302
    (year,) = _years(app)
    assert year.opens_on == date(2031, 3, 1)   # never today, never another day


def test_settings_empty_date_is_asked_for(app, client):
    login(client, "zcb")
    html = page_text(_year_form(client, opens_on="", closes_on="2031-02-30"))
    _beside(html, "opens_on", "请选择开始日期", "")
    _beside(html, "closes_on", DATE_IMPOSSIBLE, "2031-02-30")   # every wrong field at once
    assert not _years(app)


def test_settings_edit_keeps_the_typed_date(app, client):
    login(client, "zcb")
    assert _year_form(client).status_code == 302
    (year,) = _years(app)
    response = client.post(f"/years/edit/{year.id}", data={
        "csrf_token": csrf_token(client, f"/years/edit/{year.id}"), "year": "2031", "opens_on": "2031-03-01",
        "closes_on": "2031-06-31", "note": ""})
    _beside(page_text(response), "closes_on", DATE_IMPOSSIBLE, "2031-06-31")
    assert _years(app)[0].closes_on == date(2031, 5, 31)


def _notice(client, **changes):
    data = {"title": "日期测试通知", "body": "正文", "series": "", "publish_on": clock.today().isoformat(),
            "unpublish_on": "", "csrf_token": csrf_token(client, "/notices/manage/add")}
    data.update(changes)
    return client.post("/notices/manage/add", data=data, content_type="multipart/form-data")


def test_notices_refuse_and_keep_an_impossible_date(app, client):
    login(client, "zcb")
    html = page_text(_notice(client, publish_on="2027-02-30", unpublish_on="20270301"))
    _beside(html, "publish_on", DATE_IMPOSSIBLE, "2027-02-30")
    assert 'value="20270301"' in html      # the valid one is kept as typed too
    html = page_text(_notice(client, publish_on=""))
    _beside(html, "publish_on", "请选择发布日期", "")
    with app.app_context():
        assert db.session.query(Announcement).filter_by(title="日期测试通知").count() == 0
    assert _notice(client, publish_on="2027/3/1", unpublish_on="2027年3月31日").status_code == 302
    with app.app_context():
        notice = db.session.scalar(select(Announcement).where(Announcement.title == "日期测试通知"))
        assert (notice.publish_on, notice.unpublish_on) == (date(2027, 3, 1), date(2027, 3, 31))


def _meeting(client, held_on):
    form = {"name": "日期会议", "year": "2027", "held_on": held_on, "place": "会议室", "threshold": "2/3",
            "csrf_token": csrf_token(client, "/meetings/")}
    return client.post("/meetings/new", data=form)


@pytest.mark.parametrize("typed, message", [("2027-02-30", DATE_IMPOSSIBLE), ("2027-03", DATE_INCOMPLETE),
                                            ("", "请选择会议日期")])
def test_meetings_refuse_and_keep_the_typed_date(app, client, typed, message):
    login(client, "gc_pwh")
    response = _meeting(client, typed)
    assert response.status_code == 400
    _beside(page_text(response), "held_on", message, typed)
    with app.app_context():
        assert db.session.scalar(select(Meeting).where(Meeting.name == "日期会议")) is None


def test_meetings_read_unambiguous_forms(app, client):
    login(client, "gc_pwh")
    assert _meeting(client, "20270301").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Meeting.held_on).where(Meeting.name == "日期会议")) == date(2027, 3, 1)


def test_publicity_start_is_refused_and_shown_again(app, client):
    from tests.committee import close, prepare, vote
    from tests.review.conftest import received

    decl = received(app, client)
    group = prepare(app, [decl])
    vote(app, group, decl, ["yes"] * 6)
    close(app, group)
    login(client, "gc_pwh")
    with app.app_context():
        meeting_id = db.session.get(ReviewGroup, group).meeting_id
    token = csrf_token(client, f"/meetings/{meeting_id}")
    response = client.post(f"/meetings/{meeting_id}/publish", data={"start": "2027-02-30", "csrf_token": token},
                           follow_redirects=True)
    html = page_text(response)
    assert DATE_IMPOSSIBLE in html
    box = re.search(r'<input[^>]*name="start"[^>]*>', html)
    assert box and 'value="2027-02-30"' in box.group(0)
    with app.app_context():
        assert db.session.get(Meeting, meeting_id).publicity_from is None


def test_correction_deadline_uses_the_same_parser(app, client):
    login(client, APPLICANT_ID)
    fill(client, app)
    submit(client)
    decl = declaration_id(app)
    login(client, "baili_hr")
    version = re.search(r'name="version" value="([0-9]+)"', page_text(client.get(f"/review/{decl}"))).group(1)
    response = client.post(f"/review/{decl}/act", data={
        "action": "return", "opinion": "缺少证书", "due": "2099-02-30", "version": version,
        "csrf_token": csrf_token(client, "/account/password")}, follow_redirects=True)
    assert "补正期限：" + DATE_IMPOSSIBLE in page_text(response)
    later = (clock.today() + timedelta(days=3)).strftime("%Y%m%d")
    response = client.post(f"/review/{decl}/act", data={
        "action": "return", "opinion": "缺少证书", "due": later, "version": version,
        "csrf_token": csrf_token(client, "/account/password")})
    assert response.status_code == 302
    from models import Declaration
    with app.app_context():
        assert db.session.get(Declaration, decl).status == "returned"
