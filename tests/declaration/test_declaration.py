"""个人信息申报 (PRODUCT D1–D18, B1, B2): pages, rows, conditions, limits,
completeness and who may reach what."""
import pytest
from sqlalchemy import select

from app.declaration.completeness import completeness
from app.declaration.data import DeclarationData, find_declaration
from app.platform.extensions import db
from models import Account, Declaration, clock
from models.registry import BY_KEY, SECTIONS
from models.registry.fields import ChoiceField, DerivedField, RowChoiceField, TextField
from tests.conftest import APPLICANT_ID, login, page_text
from tests.declaring import (
    ROWS,
    SINGLE,
    basic,
    fill,
    health_page,
    post,
    row_ids,
    submit,
    unit_id,
    upload,
)

OTHER_ID = "11010519491231002X"


@pytest.fixture
def applicant(client):
    login(client, APPLICANT_ID)
    return client


@pytest.fixture
def other_applicant(app):
    """A second applicant with a declaration of their own."""
    from app.accounts.auth import create_applicant

    with app.app_context():
        create_applicant("王芳", OTHER_ID, "wang@example.com", "13900000009", "abc12345")
    other = app.test_client()
    login(other, OTHER_ID, password="abc12345")
    fill(other, app, username=OTHER_ID)
    return other


def declaration_of(app, username=APPLICANT_ID):
    with app.app_context():
        user = db.session.scalar(select(Account).where((Account.username == username) | Account.id_number_is(username)))
        return find_declaration(user.id)


def gaps(app, username=APPLICANT_ID):
    with app.app_context():
        user = db.session.scalar(select(Account).where((Account.username == username) | Account.id_number_is(username)))
        data = DeclarationData(find_declaration(user.id))
        return [(r.section.key, g.message) for r in completeness(data) for g in r.gaps]


def test_menu_and_tabs(applicant):
    html = page_text(applicant.get("/"))
    # the manual's path in the menu of every page: 专业技术 → 职称管理 → 个人信息申报
    assert 0 < html.index("专业技术") < html.index("职称管理") < html.index("个人信息申报")
    html = page_text(applicant.get("/declaration/basic"))
    for label in ["个人基本信息", "学历信息", "资历信息", "社会团体任职情况", "专业技术工作经历", "继续教育情况", "业绩成果", "论文",
                  "著作", "专利", "获奖", "考核信息", "保存", "提交", "身份证附件上传", "身份证附件查看", "职称管理",
                  "档案机构证明上传", "档案机构证明查看"]:
        assert label in html, label
    assert "卫生技术信息" not in html and "中小学教师信息" not in html


def test_other_pages_wait_for_basic_info(applicant):
    response = applicant.get("/declaration/education")
    assert response.status_code == 302 and response.headers["Location"].endswith("/declaration/basic")
    assert applicant.get("/declaration/papers/new").status_code == 302


def test_basic_required_fields_and_nothing_lost(app, applicant):
    response = post(applicant, "/declaration/basic", {"profession": "机械设计"})
    html = page_text(response)
    assert response.status_code == 400
    for f in BY_KEY["basic"].fields:
        if f.required and f.name != "profession" and not isinstance(f, DerivedField):
            assert ("请选择" if isinstance(f, ChoiceField) or f.name == "unit_id" else "请填写") + f.label in html, f.name
    assert 'value="机械设计"' in html
    assert declaration_of(app) is None  # nothing stored


def test_basic_saves_and_derives_account_fields(app, applicant):
    response = post(applicant, "/declaration/basic", basic(app, name="冒名", gender="女", year="1999"))
    assert response.status_code == 302
    html = page_text(applicant.get("/declaration/basic"))
    assert "张明" in html and "冒名" not in html and "男" in html and "1990-03-07" in html
    decl = declaration_of(app)
    assert decl.year == clock.today().year and decl.status == "draft"
    with app.app_context():
        saved = DeclarationData(db.session.get(Declaration, decl.id)).single("basic")
        assert saved.work_start_date.isoformat() == "2012-07-01"  # D18: a month means its 1st
        assert saved.unit_id == unit_id(app)


@pytest.mark.parametrize("value", ["天津百利机械装备集团有限公司", "999999", "-1", "1 OR 1=1"])
def test_unit_must_be_chosen_from_the_database(app, applicant, value):
    response = post(applicant, "/declaration/basic", basic(app, unit_id=value))
    assert response.status_code == 400
    assert "请通过查询从库中选择工作单位" in page_text(response) or "请从列表中选择工作单位" in page_text(response)


def test_a_department_is_not_a_unit(app, applicant):
    dept = unit_id(app, "天津市工业和信息化局")
    response = post(applicant, "/declaration/basic", basic(app, unit_id=str(dept)))
    assert response.status_code == 400 and "请通过查询从库中选择工作单位" in page_text(response)


def test_title_chained_to_series_and_level(app, applicant):
    response = post(applicant, "/declaration/basic", basic(app, title="0402"))  # a health title for engineering
    assert response.status_code == 400 and "与所选系列、级别不一致" in page_text(response)
    response = post(applicant, "/declaration/basic", basic(app, ethnicity="99"))
    assert response.status_code == 400 and "请从列表中选择民族" in page_text(response)


@pytest.mark.parametrize("raw, stored", [("2020-05", "2020-05-01"), ("2020年5月", "2020-05-01"),
                                         ("2020/5/3", "2020-05-03"), ("20200503", "2020-05-03"),
                                         ("2020年5月3日", "2020-05-03")])
def test_month_dates_store_the_first(app, applicant, raw, stored):
    assert post(applicant, "/declaration/basic", basic(app, work_start_date=raw)).status_code == 302
    assert f'value="{stored}"' in page_text(applicant.get("/declaration/basic"))


@pytest.mark.parametrize("raw, message", [("2020-13", "日期不存在"), ("明年", "日期格式不正确"), ("2999-01-01", "不能晚于今天"),
                                          ("2020-02-30", "日期不存在，请按 2027-02-28 的格式填写"),
                                          ("2027-02-30", "日期不存在"), ("2020/2/30", "日期不存在")])
def test_bad_dates(app, applicant, raw, message):
    response = post(applicant, "/declaration/basic", basic(app, work_start_date=raw))
    assert response.status_code == 400 and message in page_text(response)
    assert f'value="{raw}"' in page_text(response)  # what was typed stays


def sections_with_required_fields():
    return [s for s in SECTIONS if s.key not in ("basic",) and any(f.required for f in s.stored_fields)]


@pytest.mark.parametrize("section", sections_with_required_fields(), ids=lambda s: s.key)
def test_every_required_field_of_every_section(app, applicant, section):
    fill_for = {"teacher": "teacher", "teacher_resume": "teacher", "teacher_teaching": "teacher",
                "teacher_research": "teacher", "health": "health", "health_papers": "health",
                "health_projects": "health", "accounting": "accounting"}.get(section.key, "engineering")
    assert post(applicant, "/declaration/basic", basic(app, fill_for)).status_code == 302
    if section.key == "health_projects":
        education = post(applicant, "/declaration/education/new", ROWS["education"][0])
        assert education.status_code == 302
        assert post(applicant, "/declaration/health", health_page(row_ids(app, "education")[0],
                                                                  institution_level="1")).status_code == 302
    path = f"/declaration/{section.key}/new" if section.many else f"/declaration/{section.key}"
    response = post(applicant, path, {})
    html = page_text(response)
    assert response.status_code == 400
    for f in section.stored_fields:
        if f.required and f.applies({}):
            verb = "请选择" if isinstance(f, (ChoiceField, RowChoiceField)) else "请填写"
            assert verb + f.label in html, f.name


@pytest.mark.parametrize("section, name", [(s, f.name) for s in SECTIONS for f in s.stored_fields
                                           if isinstance(f, TextField)][::3], ids=lambda v: getattr(v, "key", v))
def test_length_limits(app, applicant, section, name):
    kind = section.special_page or "engineering"
    kind = {"accounting": "accounting"}.get(kind, kind)
    assert post(applicant, "/declaration/basic", basic(app, kind if kind in ("health", "teacher", "accounting")
                                                        else "engineering")).status_code == 302
    if section.key == "basic":
        path = "/declaration/basic"
    elif section.parent and section.when:
        pytest.skip("shown only under a condition; covered by the condition tests")
    else:
        path = f"/declaration/{section.key}/new" if section.many else f"/declaration/{section.key}"
    f = section.field(name)
    response = post(applicant, path, {name: "长" * (f.max_length + 1)})
    assert f"{f.label}最多{f.max_length}个字" in page_text(response)


def test_education_rules(app, applicant):
    post(applicant, "/declaration/basic", basic(app))
    bad = dict(ROWS["education"][0], start_date="2012-09", end_date="2008-07")
    assert "毕业时间不能早于入学时间" in page_text(post(applicant, "/declaration/education/new", bad))
    assert post(applicant, "/declaration/education/new", ROWS["education"][0]).status_code == 302
    again = post(applicant, "/declaration/education/new", ROWS["education"][0])
    assert "工作前学历只能录入一条" in page_text(again)
    after = dict(ROWS["education"][0], before_work="否", start_date="2014-09", end_date="2017-06", degree="998")
    assert post(applicant, "/declaration/education/new", after).status_code == 302
    third = dict(after, before_work="是")
    response = post(applicant, "/declaration/education/new", third)
    assert "只能录入一条" in page_text(response) or "最多录入2条" in page_text(response)
    assert len(row_ids(app, "education")) == 2


def test_row_limit(app, applicant):
    post(applicant, "/declaration/basic", basic(app))
    for i in range(10):
        row = {"name": f"学会{i}", "post": "会员", "start_date": "2019-01", "end_date": ""}
        assert post(applicant, "/declaration/associations/new", row).status_code == 302
    response = post(applicant, "/declaration/associations/new", {"name": "第十一个", "post": "会员",
                                                                  "start_date": "2019-01"})
    assert response.status_code == 400 and "最多录入10条" in page_text(response)
    assert len(row_ids(app, "associations")) == 10
    assert "new-associations" not in page_text(applicant.get("/declaration/associations"))


def test_training_years_unique_and_hours_hint(app, applicant):
    post(applicant, "/declaration/basic", basic(app))
    post(applicant, "/declaration/qualification", SINGLE["qualification"])
    assert post(applicant, "/declaration/training/new", {"year": "2023", "content": "课程", "hours": "40"}).status_code == 302
    response = post(applicant, "/declaration/training/new", {"year": "2023", "content": "课程", "hours": "100"})
    assert "2023年度已经录入" in page_text(response)
    html = page_text(applicant.get("/declaration/training"))
    assert "2023年度继续教育40课时，少于每年96课时的要求" in html
    assert "缺少2024年度的继续教育记录" in html
    response = post(applicant, "/declaration/training/new", {"year": "20x3", "content": "课程", "hours": "1x"})
    assert "4位年份" in page_text(response) and "课时请填写正整数" in page_text(response)


def test_counts_ask_for_a_positive_whole_number(app, applicant):
    post(applicant, "/declaration/basic", basic(app))
    for words in ("-5", "0", "3.5"):
        response = post(applicant, "/declaration/papers/new", dict(ROWS["papers"][0], words=words))
        assert "字数请填写正整数" in page_text(response), words
    terms = BY_KEY["teacher"].field("extra_terms")        # a count that may be 0
    assert terms.parse("0") == 0
    with pytest.raises(Exception, match="请填写0或正整数"):
        terms.parse("-5")


def test_patent_and_journal_numbers(app, applicant):
    post(applicant, "/declaration/basic", basic(app))
    bad = dict(ROWS["patents"][0], number="201110000000")
    assert "专利号格式如" in page_text(post(applicant, "/declaration/patents/new", bad))
    bad = dict(ROWS["papers"][0], number="12345")
    assert "请按刊物标注填写" in page_text(post(applicant, "/declaration/papers/new", bad))


def test_qualification_none_makes_the_rest_optional_and_clear(app, applicant):
    post(applicant, "/declaration/basic", basic(app))
    assert post(applicant, "/declaration/qualification", {"current_series": "none", "hired_series": "none"}
                ).status_code == 302
    assert post(applicant, "/declaration/qualification", SINGLE["qualification"]).status_code == 302
    from tests.conftest import csrf_token
    token = csrf_token(applicant, "/declaration/qualification")
    assert applicant.post("/declaration/qualification/clear", data={"csrf_token": token}).status_code == 302
    assert "现资格专业" in page_text(applicant.get("/declaration/qualification"))
    with app.app_context():
        assert DeclarationData(db.session.get(Declaration, declaration_of(app).id)).single("qualification") is None


def test_pages_follow_the_saved_series(app, applicant):
    post(applicant, "/declaration/basic", basic(app, "health"))
    assert "卫生技术信息" in page_text(applicant.get("/declaration/basic"))
    post(applicant, "/declaration/education/new", ROWS["education"][0])
    assert post(applicant, "/declaration/health", health_page(row_ids(app, "education")[0])).status_code == 302
    post(applicant, "/declaration/basic", basic(app, "teacher"))
    html = page_text(applicant.get("/declaration/basic"))
    assert "中小学教师信息" in html and "卫生技术信息" not in html
    assert applicant.get("/declaration/health").status_code == 404
    assert applicant.get("/declaration/teacher").status_code == 200
    post(applicant, "/declaration/basic", basic(app, "health"))
    assert 'value="心力衰竭诊治进展综述"' in page_text(applicant.get("/declaration/health"))  # kept


def test_health_conditions(app, applicant):
    post(applicant, "/declaration/basic", basic(app, "health"))
    post(applicant, "/declaration/education/new", ROWS["education"][0])
    education = row_ids(app, "education")[0]
    # 公共卫生机构: no level; 支援情况 无: type and status are not kept; nurse: no practice scope
    data = health_page(education, institution_type="3", institution_level="3", support="无", support_type="1",
                       qualification="4", practice_scope="101", community_service="")
    assert post(applicant, "/declaration/health", data).status_code == 302
    with app.app_context():
        saved = DeclarationData(db.session.get(Declaration, declaration_of(app).id)).single("health")
        assert saved.institution_level is None and saved.support_type is None and saved.practice_scope is None
    # 主任/副主任医师 needs the practice scope; 三级 needs the community service
    response = post(applicant, "/declaration/health", health_page(education, practice_scope="", community_service=""))
    html = page_text(response)
    assert "请选择医师执业类别" in html and "请选择到城乡社区医疗卫生机构服务情况" in html
    # the effective education must be one of the applicant's own rows
    response = post(applicant, "/declaration/health", health_page(education + 1000))
    assert "请从已填写的学历信息中选择有效学历" in page_text(response)


def test_health_sub_lists_follow_the_level(app, applicant):
    post(applicant, "/declaration/basic", basic(app, "health"))
    post(applicant, "/declaration/education/new", ROWS["education"][0])
    education = row_ids(app, "education")[0]
    post(applicant, "/declaration/health", health_page(education))
    assert applicant.get("/declaration/health_projects/new").status_code == 404   # only for 一级及以下
    post(applicant, "/declaration/health", health_page(education, institution_level="1"))
    assert applicant.get("/declaration/health_projects/new").status_code == 200
    html = page_text(applicant.get("/declaration/health"))
    assert "调研或科研项目" in html and "基层医疗机构执业许可证副本" in html


def test_complete_declarations_have_no_gaps(app, client):
    for kind, username in (("health", APPLICANT_ID),):
        login(client, username)
        fill(client, app, kind)
        assert gaps(app) == []
        html = page_text(client.get("/declaration/check"))
        assert "必填项和必传附件已全部完成" in html


def test_complete_teacher_declaration(app, client):
    login(client, APPLICANT_ID)
    fill(client, app, "teacher")
    assert gaps(app) == []


def test_completeness_lists_what_is_missing_with_links(app, applicant):
    post(applicant, "/declaration/basic", basic(app, "health"))
    found = gaps(app)
    assert ("basic", "请上传电子照片") in found and ("basic", "请上传身份证附件") in found
    assert ("education", "请至少录入1条学历信息") in found
    assert ("health", "卫生技术信息尚未填写保存") in found
    html = page_text(applicant.get("/declaration/check"))
    assert 'href="/declaration/basic#att-basic-photo"' in html
    assert 'href="/declaration/education#rows-education"' in html


def test_cross_applicant_access_is_404(app, applicant, other_applicant):
    theirs = {key: row_ids(app, key, OTHER_ID)[0] for key in ("education", "papers")}
    post(applicant, "/declaration/basic", basic(app))
    for key, row_id in theirs.items():
        assert applicant.get(f"/declaration/{key}/{row_id}").status_code == 404
        assert post(applicant, f"/declaration/{key}/{row_id}", ROWS[key][0]).status_code == 404
        assert post(applicant, f"/declaration/{key}/{row_id}/delete", {}).status_code == 404
    response = upload(applicant, "papers", "pages", row=theirs["papers"])
    assert response.status_code == 400 and "请先保存这条信息" in response.json["message"]
    with app.app_context():
        from models import Attachment
        their_file = db.session.scalar(select(Attachment.id).join(Declaration).join(
            Account, Account.id == Declaration.applicant_id).where(Account.id_number_is(OTHER_ID)))
    assert applicant.get(f"/attachments/{their_file}").status_code == 404
    assert post(applicant, f"/declaration/file/{their_file}/delete", {}).status_code == 404
    assert other_applicant.get(f"/attachments/{their_file}").status_code == 200
    assert len(row_ids(app, "papers", OTHER_ID)) == 1 and gaps(app, OTHER_ID) == []


@pytest.mark.parametrize("username", ["baili_hr", "gxj_zc", "admin"])
def test_reviewers_do_not_use_the_applicant_pages(client, username):
    login(client, username)
    assert client.get("/declaration/basic").status_code == 403


def test_submitted_declaration_refuses_every_write(app, applicant):
    fill(applicant, app)
    assert submit(applicant).status_code == 302
    assert declaration_of(app).status == "unit_review"
    education = row_ids(app, "education")[0]
    assert post(applicant, "/declaration/basic", basic(app, profession="改动")).status_code == 400
    assert post(applicant, f"/declaration/education/{education}", ROWS["education"][0]).status_code == 400
    assert post(applicant, "/declaration/papers/new", ROWS["papers"][0]).status_code == 400
    assert upload(applicant, "basic", "archive_proof").status_code == 409
    html = page_text(applicant.get("/declaration/basic"))
    assert "已提交" in html and "disabled" in html
    assert gaps(app) == []  # nothing changed


def test_hidden_health_fields_keep_their_values(app, applicant):
    """Changing 级别 or 报评资格 hides 医师执业类别 and 到城乡社区医疗卫生机构服务情况; the browser does not
    post hidden fields, and saving must not erase them (D16)."""
    post(applicant, "/declaration/basic", basic(app, "health"))
    post(applicant, "/declaration/education/new", ROWS["education"][0])
    education = row_ids(app, "education")[0]
    assert post(applicant, "/declaration/health", health_page(education, practice_scope="102",
                                                              community_service="2")).status_code == 302
    changed = health_page(education, qualification="4", institution_level="1")
    del changed["practice_scope"], changed["community_service"]        # hidden: disabled, not posted
    assert post(applicant, "/declaration/health", changed).status_code == 302
    with app.app_context():
        saved = DeclarationData(db.session.get(Declaration, declaration_of(app).id)).single("health")
        assert (saved.qualification, saved.institution_level) == ("4", "1")
        assert saved.practice_scope == "102" and saved.community_service == "2"
    # back to 副主任医师 and 三级: the page shows them again, chosen
    html = page_text(applicant.get("/declaration/health"))
    assert 'value="102" selected' in html
    # shown again, the applicant may change them; the completeness check only asks for what applies
    assert post(applicant, "/declaration/health", health_page(education, practice_scope="103")).status_code == 302
    with app.app_context():
        saved = DeclarationData(db.session.get(Declaration, declaration_of(app).id)).single("health")
        assert saved.practice_scope == "103" and saved.community_service == "1"


def test_labels_follow_the_manual(app, applicant):
    post(applicant, "/declaration/basic", basic(app))
    html = page_text(applicant.get("/declaration/awards/new"))
    assert "奖项授权单位" in html and "授奖单位" not in html
    html = page_text(applicant.get("/declaration/basic"))
    assert 'id="archive-upload-button"' in html and ">档案机构证明上传<" in html and ">档案机构证明查看<" in html
    assert 'id="att-basic-archive_proof"' in html       # the panel the buttons open


def _stamp(html):
    import re
    return re.search(r'name="stamp" value="([^"]*)"', html).group(1)


def test_two_tabs_do_not_overwrite_each_other(app, applicant):
    """Both tabs show the same version; the second save is refused with 已在其他页面修改 and keeps what was typed."""
    assert post(applicant, "/declaration/basic", basic(app)).status_code == 302
    stamp = _stamp(page_text(applicant.get("/declaration/basic")))       # tab 1 and tab 2 open the page
    assert stamp
    assert post(applicant, "/declaration/basic", dict(basic(app, profession="第一个页面的专业"), stamp=stamp)
                ).status_code == 302                                       # tab 1 saves
    response = post(applicant, "/declaration/basic", dict(basic(app, profession="第二个页面的专业"), stamp=stamp))
    html = page_text(response)                                            # tab 2 saves what it showed
    assert response.status_code == 400 and "已在其他页面修改" in html
    assert 'value="第二个页面的专业"' in html                               # tab 2's values kept to re-apply
    with app.app_context():
        assert DeclarationData(db.session.get(Declaration, declaration_of(app).id)).single("basic").profession \
            == "第一个页面的专业"
    # saving again from the refused page (it now carries the current version) applies tab 2's values
    assert post(applicant, "/declaration/basic", dict(basic(app, profession="第二个页面的专业"), stamp=_stamp(html))
                ).status_code == 302
    with app.app_context():
        assert DeclarationData(db.session.get(Declaration, declaration_of(app).id)).single("basic").profession \
            == "第二个页面的专业"

    # a row: the same
    assert post(applicant, "/declaration/papers/new", dict(ROWS["papers"][0], stamp="")).status_code == 302
    row = row_ids(app, "papers")[0]
    stamp = _stamp(page_text(applicant.get(f"/declaration/papers/{row}")))
    assert post(applicant, f"/declaration/papers/{row}", dict(ROWS["papers"][0], title="标题一", stamp=stamp)
                ).status_code == 302
    response = post(applicant, f"/declaration/papers/{row}", dict(ROWS["papers"][0], title="标题二", stamp=stamp))
    assert response.status_code == 400 and "已在其他页面修改" in page_text(response)
    assert 'value="标题二"' in page_text(response)
    with app.app_context():
        assert db.session.get(BY_KEY["papers"].model, row).title == "标题一"


def test_practice_scope_and_specialty_are_trees_from_the_dictionary(app, applicant):
    """医师执业类别 (执业类别 → 执业范围) and 申报专业: chosen at the leaves of a two-level dictionary."""
    post(applicant, "/declaration/basic", basic(app, "health"))
    post(applicant, "/declaration/education/new", ROWS["education"][0])
    education = row_ids(app, "education")[0]
    html = page_text(applicant.get("/declaration/health"))
    assert '<optgroup label="临床类别">' in html and '<optgroup label="医疗类">' in html
    # a category is not a choice: only a 执业范围 / 专业 under it
    response = post(applicant, "/declaration/health", health_page(education, practice_scope="1", specialty="2"))
    html = page_text(response)
    assert response.status_code == 400
    assert "请从列表中选择医师执业类别" in html and "请从列表中选择申报专业" in html
