"""通知公告 and 帮助: publishing with dates and a policy file, who sees what,
bad input, and the FAQ administrators edit."""
import io
from datetime import timedelta

from sqlalchemy import select

from app.platform.extensions import db
from models import Announcement, SiteText, clock
from tests.conftest import APPLICANT_ID, csrf_token, login, page_text
from tests.declaring import basic, post
from tests.images import jpeg

TODAY = clock.today()
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def publish(client, **changes):
    data = {"title": "关于2026年度职称申报工作的通知", "body": "申报时间：即日起。\n请按要求填写。", "series": "",
            "publish_on": TODAY.isoformat(), "unpublish_on": "", "csrf_token": csrf_token(client, "/notices/manage/add")}
    data.update(changes)
    return client.post("/notices/manage/add", data=data, content_type="multipart/form-data")


def add(title, series=None, start=TODAY, end=None, pinned=False):
    db.session.add(Announcement(title=title, body="正文", series=series, publish_on=start, unpublish_on=end,
                                pinned=pinned))
    db.session.commit()


def test_title_office_publishes_with_a_policy_file_shown_on_the_login_page(app, client):
    login(client, "zcb")
    response = publish(client, pinned="y", attachment=(io.BytesIO(PDF), "政策文件.pdf"))
    assert response.status_code == 302
    with app.app_context():
        notice = db.session.scalar(select(Announcement))
        assert notice.pinned and notice.attachment_name == "政策文件.pdf" and notice.author_id
        assert notice.attachment_key.endswith(".pdf") and "政策" not in notice.attachment_key
        notice_id = notice.id
    anonymous = app.test_client()
    login_page = page_text(anonymous.get("/login/"))
    assert "关于2026年度职称申报工作的通知" in login_page and "置顶" in login_page
    file = anonymous.get(f"/notices/{notice_id}/file")
    assert file.data == PDF and "attachment" in file.headers["Content-Disposition"]
    assert "关于2026年度" in page_text(anonymous.get(f"/notices/{notice_id}"))


def test_bad_dates_and_bad_files_are_refused_beside_the_field(app, client):
    login(client, "zcb")
    response = publish(client, unpublish_on=(TODAY - timedelta(days=1)).isoformat())
    assert response.status_code == 200 and "结束日期不能早于发布日期" in page_text(response)
    response = publish(client, title="", attachment=(io.BytesIO(b"<html>x</html>"), "policy.pdf"))
    html = page_text(response)
    assert "请填写标题" in html and "附件只能是PDF、JPG或PNG文件" in html
    assert "申报时间：即日起" in html        # what was typed stays
    with app.app_context():
        assert db.session.scalar(select(Announcement.id)) is None


def test_only_the_title_office_publishes(client):
    login(client, "baili_hr")
    assert client.get("/notices/manage/add").status_code in (302, 403)
    login(client, APPLICANT_ID)
    assert client.post("/notices/manage/add", data={"title": "x"}).status_code in (302, 400, 403)


def test_dates_decide_what_is_shown_and_what_may_be_read(app, client, ctx):
    add("已过期的通知", start=TODAY - timedelta(days=10), end=TODAY - timedelta(days=1))
    add("今天结束的通知", start=TODAY - timedelta(days=10), end=TODAY)
    add("明天发布的通知", start=TODAY + timedelta(days=1))
    html = page_text(client.get("/login/"))
    assert "今天结束的通知" in html and "已过期的通知" not in html and "明天发布的通知" not in html
    hidden = db.session.scalar(select(Announcement.id).where(Announcement.title == "已过期的通知"))
    assert client.get(f"/notices/{hidden}").status_code == 404
    login(client, "zcb")
    assert client.get(f"/notices/{hidden}").status_code == 200   # the title office still reads its own


def test_applicant_home_shows_the_window_and_the_notices_of_their_series(app, client):
    # requests run outside this app context, so each has its own `g` (CSRF token, caches)
    with app.app_context():
        add("所有人的通知")
        add("卫生技术系列的通知", series="04")
        add("工程技术系列的通知", series="05", pinned=True)
    login_page = page_text(client.get("/login/"))    # the login page: only those for everyone
    assert "所有人的通知" in login_page and "工程技术系列的通知" not in login_page
    login(client, APPLICANT_ID)
    token = csrf_token(client, "/declaration/basic")
    assert client.post("/declaration/basic", data={**basic(app), "csrf_token": token}).status_code == 302
    html = page_text(client.get("/"))
    assert f"{TODAY.year}年度申报时间：{TODAY.year}-01-01至{TODAY.year}-12-31" in html
    assert "所有人的通知" in html and "工程技术系列的通知" in html and "卫生技术系列的通知" not in html
    assert html.index("工程技术系列的通知") < html.index("所有人的通知")     # pinned first


def test_help_page_answers_the_manual_questions_and_follows_the_administrator(app, client, ctx):
    html = page_text(client.get("/notices/help"))
    assert "小写x" in html and "电子照片" in html and "中小学教师信息" in html
    text = db.session.get(SiteText, "help")
    original = text.body
    try:
        text.body = "新的问题？\n新的回答。"
        db.session.commit()
        assert "新的回答。" in page_text(client.get("/notices/help"))
    finally:
        text.body = original
        db.session.commit()


def test_image_policy_file_is_accepted(app, client):
    login(client, "zcb")
    assert publish(client, attachment=(io.BytesIO(jpeg()), "通知.jpg")).status_code == 302


def test_the_login_page_lists_announcements_without_a_query_and_follows_every_change(app, client):
    from tests.conftest import statements

    login(client, "zcb")
    assert publish(client, title="第一版标题").status_code == 302
    anonymous = app.test_client()
    assert "第一版标题" in page_text(anonymous.get("/login/"))       # the save renewed every worker's copy
    with statements(app) as seen:
        anonymous.get("/login/")
    assert not [s for s in seen if "announcement" in s]
    with app.app_context():
        notice_id = db.session.scalar(select(Announcement.id))
    edit = {"title": "第二版标题", "body": "正文", "series": "", "publish_on": TODAY.isoformat(),
            "unpublish_on": "", "csrf_token": csrf_token(client, f"/notices/manage/edit/{notice_id}")}
    assert client.post(f"/notices/manage/edit/{notice_id}", data=edit,
                       content_type="multipart/form-data").status_code == 302
    html = page_text(anonymous.get("/login/"))
    assert "第二版标题" in html and "第一版标题" not in html
    edit.update(title="第三版标题", unpublish_on=TODAY.isoformat(), publish_on=(TODAY - timedelta(days=3)).isoformat())
    client.post(f"/notices/manage/edit/{notice_id}", data=edit, content_type="multipart/form-data")
    assert "第三版标题" in page_text(anonymous.get("/login/"))       # ends today: still shown
    client.post(f"/notices/manage/delete/{notice_id}",
                data={"csrf_token": csrf_token(client, f"/notices/manage/show/{notice_id}")})
    assert "第三版标题" not in page_text(anonymous.get("/login/"))


def test_a_series_notice_reaches_only_that_series_and_staff(app, client):
    """Never the public list, an applicant who chose no series, or another series."""
    with app.app_context():
        add("所有人的通知")
        add("卫生技术系列的通知", series="04", pinned=True)
        add("工程技术系列的通知", series="05")
        ids = {a.title: a.id for a in db.session.scalars(select(Announcement))}

    def sees(path_list=("/notices/",)):
        return {t for t in ids for p in path_list if t in page_text(client.get(p))}

    def opens():
        return {t for t, i in ids.items() if client.get(f"/notices/{i}").status_code == 200}

    assert sees(("/notices/", "/login/")) == {"所有人的通知"} == opens()           # the public
    login(client, APPLICANT_ID)                                                      # no series chosen yet
    assert sees(("/notices/", "/")) == {"所有人的通知"} == opens()
    assert post(client, "/declaration/basic", basic(app)).status_code == 302        # 工程技术
    assert sees(("/notices/", "/")) == {"所有人的通知", "工程技术系列的通知"} == opens()
    for staff in ("baili_hr", "zcb"):
        login(client, staff)
        assert sees(("/notices/", "/")) == set(ids) == opens(), staff
