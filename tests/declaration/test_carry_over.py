"""A new 申报年度 (M4, B7): 历年申报记录 on the applicant's home, 从上一年度复制
without sharing files or overwriting what was typed, and the window with its countdown."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.platform.extensions import db
from app.platform.storage import storage
from models import Account, Attachment, Declaration, DeclarationYear, clock
from models.registry import BY_KEY
from tests.committee import evaluate
from tests.conftest import APPLICANT_ID, csrf_token, login, page_text
from tests.declaring import act, basic, fill, post, row_ids, submit

THIS_YEAR = clock.today().year


def declaration_of(app, year):
    with app.app_context():
        return db.session.scalar(select(Declaration).join(Account, Account.id == Declaration.applicant_id)
                                 .where(Account.id_number_is(APPLICANT_ID), Declaration.year == year))


def open_next_year(app):
    """The title office closes this year's window and opens the next one
    today (the demo opened this one; windows never overlap)."""
    with app.app_context():
        this = db.session.scalar(select(DeclarationYear).where(DeclarationYear.year == THIS_YEAR))
        this.opens_on, this.closes_on = clock.today() - timedelta(days=60), clock.today() - timedelta(days=2)
        db.session.add(DeclarationYear(year=THIS_YEAR + 1, opens_on=clock.today() - timedelta(days=1),
                                       closes_on=clock.today() + timedelta(days=30)))
        db.session.commit()


@pytest.fixture
def certified(app, client):
    """张明's engineering declaration of this year, approved with its 证书编号."""
    login(client, APPLICANT_ID)
    fill(client, app)
    assert submit(client).status_code == 302
    decl = declaration_of(app, THIS_YEAR).id
    for username, action in (("baili_hr", "approve"), ("gxj_zc", "approve"), ("gc_pwh", "receive")):
        login(client, username)
        assert act(client, decl, action, opinion="同意").status_code == 302
    evaluate(app, [decl])   # the experts pass it and its 公示 ended
    login(client, "zcb")
    assert act(client, decl, "approve", opinion="同意").status_code == 302
    login(client, APPLICANT_ID)
    return decl


def copy(client):
    return client.post("/declaration/copy-previous", data={"csrf_token": csrf_token(client, "/")})


def counts(app, decl_id):
    with app.app_context():
        rows = {s.key: db.session.scalar(select(func.count()).select_from(s.model)
                                         .where(s.model.declaration_id == decl_id)) for s in BY_KEY.values()}
        files = db.session.scalars(select(Attachment).where(Attachment.declaration_id == decl_id)
                                   .order_by(Attachment.id)).all()
        return rows, [(a.section, a.kind, a.storage_key) for a in files]


def test_history_stays_on_home_after_a_new_year_opens(app, client, certified):
    open_next_year(app)
    with app.app_context():
        certificate = db.session.get(Declaration, certified).certificate_no
    html = page_text(client.get("/"))
    assert "您还没有申报记录" not in html and f"您还没有{THIS_YEAR + 1}年度的申报" in html
    assert "历年申报记录" in html and certificate in html and "已通过" in html
    assert "工程技术人员" in html and "副高级" in html
    assert f"/print/{certified}/summary" in html and f"/print/{certified}/review" in html
    assert "从上一年度复制" in html
    assert client.get(f"/print/{certified}/summary").status_code == 200


def test_copy_from_last_year_copies_rows_and_files(app, client, certified):
    open_next_year(app)
    before_rows, before_files = counts(app, certified)
    response = copy(client)
    assert response.status_code == 302 and response.headers["Location"].endswith("/declaration/basic")
    new = declaration_of(app, THIS_YEAR + 1)
    assert new.status == "draft" and new.certificate_no is None and not new.committee_received
    rows, files = counts(app, new.id)
    assert rows == before_rows
    assert sorted((s, k) for s, k, _ in files) == sorted((s, k) for s, k, _ in before_files)
    assert not {key for _, _, key in files} & {key for _, _, key in before_files}        # nothing shared
    with app.app_context():
        content = sorted((s, k, storage().read(key)) for s, k, key in files)               # each file copied
        assert content == sorted((s, k, storage().read(key)) for s, k, key in before_files)
    assert "数控机床主轴热变形补偿方法研究" in page_text(client.get("/declaration/papers"))
    # the copy is editable and last year's declaration does not change
    assert post(client, "/declaration/basic", basic(app, profession="数控系统设计")).status_code == 302
    paper = row_ids(app, "papers")[-1]
    with app.app_context():
        attachment = db.session.scalar(select(Attachment).where(Attachment.declaration_id == new.id,
                                                                Attachment.section == "papers"))
        old_key = db.session.scalar(select(Attachment.storage_key).where(Attachment.declaration_id == certified,
                                                                         Attachment.section == "papers"))
    assert client.post(f"/declaration/file/{attachment.id}/delete",
                       data={"csrf_token": csrf_token(client, "/declaration/basic")}).json["ok"]
    with app.app_context():
        assert storage().read(old_key)                      # last year's file is still there
        last = db.session.scalar(select(BY_KEY["basic"].model.profession).where(
            BY_KEY["basic"].model.declaration_id == certified))
        assert last == "机械设计"
    assert paper


def test_copy_never_overwrites_what_was_typed(app, client, certified):
    open_next_year(app)
    assert post(client, "/declaration/basic", basic(app, profession="今年填写的专业")).status_code == 302
    assert post(client, "/declaration/papers/new", {"title": "今年的新论文", "journal": "机械工程学报",
                                                    "number": "ISSN0577-6686", "published": "2026-03", "rank": "1",
                                                    "words": "5000"}).status_code == 302
    response = copy(client)
    assert response.status_code == 302
    new = declaration_of(app, THIS_YEAR + 1)
    with app.app_context():
        model = BY_KEY["basic"].model
        assert db.session.scalar(select(model.profession).where(model.declaration_id == new.id)) == "今年填写的专业"
        papers = db.session.scalars(select(BY_KEY["papers"].model.title).where(
            BY_KEY["papers"].model.declaration_id == new.id)).all()
        assert papers == ["今年的新论文"]
        education = db.session.scalar(select(func.count()).select_from(BY_KEY["education"].model).where(
            BY_KEY["education"].model.declaration_id == new.id))
        assert education == 1                                  # not typed this year: copied
    html = page_text(client.get("/declaration/basic"))
    assert "保持不变" in html and "个人基本信息" in html
    # copying twice adds nothing
    before = counts(app, new.id)
    copy(client)
    assert counts(app, new.id) == before


def test_copy_refused_without_a_previous_year_or_after_submission(app, client, certified):
    response = copy(client)                                     # this year is the only one
    assert "没有可复制的以往年度申报" in page_text(client.get("/"))
    assert response.status_code == 302
    login(client, "baili_hr")
    assert client.post("/declaration/copy-previous", data={"csrf_token": csrf_token(client, "/")}).status_code == 403


def test_copy_keeps_the_effective_education_pointing_at_the_copied_row(app, client):
    login(client, APPLICANT_ID)
    fill(client, app, "health")
    old = declaration_of(app, THIS_YEAR)
    open_next_year(app)
    assert copy(client).status_code == 302
    new = declaration_of(app, THIS_YEAR + 1)
    with app.app_context():
        education = BY_KEY["education"].model
        health = BY_KEY["health"].model
        new_row = db.session.scalar(select(education.id).where(education.declaration_id == new.id))
        assert db.session.scalar(select(health.effective_education).where(health.declaration_id == new.id)) \
            == new_row != db.session.scalar(select(health.effective_education).where(health.declaration_id == old.id))


# -- the window and its countdown, and a choice no committee handles (#9 item 12) --

def test_window_and_countdown_on_home_and_basic(app, client):
    with app.app_context():
        year = db.session.scalar(select(DeclarationYear).where(DeclarationYear.year == THIS_YEAR))
        year.opens_on, year.closes_on = clock.today() - timedelta(days=10), clock.today() + timedelta(days=5)
        db.session.commit()
    login(client, APPLICANT_ID)
    closes = (clock.today() + timedelta(days=5)).strftime("%Y-%m-%d")
    for path in ("/", "/declaration/basic"):
        html = page_text(client.get(path))
        assert f"至{closes}" in html and "距截止还有" in html and ">5天<" in html, path
    with app.app_context():
        year = db.session.scalar(select(DeclarationYear).where(DeclarationYear.year == THIS_YEAR))
        year.closes_on = clock.today() - timedelta(days=1)
        year.opens_on = clock.today() - timedelta(days=20)
        db.session.commit()
    html = page_text(client.get("/declaration/basic"))
    assert "申报已于" in html and "截止，不能再提交" in html


def test_no_committee_for_the_choice_is_said_next_to_the_level(app, client):
    login(client, APPLICANT_ID)
    assert post(client, "/declaration/basic", basic(app, level="2", title="0503")).status_code == 302   # 中级
    html = page_text(client.get("/declaration/basic"))
    level = html.index('id="group-level"')
    assert "暂无评委会评审所选的专业技术系列和级别" in html[level:html.index('id="group-title"')]
    assert '05|12' in html                                # the handled choices, for the live hint
    post(client, "/declaration/basic", basic(app))        # 副高级: handled
    html = page_text(client.get("/declaration/basic"))
    assert "暂无评委会评审所选" not in html[html.index('id="group-level"'):html.index('id="group-title"')]
