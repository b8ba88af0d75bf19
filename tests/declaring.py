"""Filling a declaration through HTTP, as the forms would: valid data for
every section, and the attachments the completeness check asks for."""
from sqlalchemy import select

from app.platform.extensions import db
from models import Organisation
from tests.conftest import csrf_token
from tests.images import jpeg

SERIES = {"health": ("04", "12", "0402"), "teacher": ("25", "12", "2502"), "engineering": ("05", "12", "0502"),
          "accounting": ("22", "12", "2202")}


def unit_id(app, name="天津百利机械装备集团有限公司"):
    with app.app_context():
        return db.session.scalar(select(Organisation.id).where(Organisation.name == name))


def basic(app, kind="engineering", **changes):
    series, level, title = SERIES[kind]
    data = {"ethnicity": "01", "political_status": "13", "profession": "机械设计", "unit_id": str(unit_id(app)),
            "admin_post": "", "admin_post_level": "", "work_start_date": "2012-07", "series": series,
            "major": "机械工程", "level": level, "title": title, "foreign_language": "英语理工A合格",
            "computer": "三个模块合格"}
    data.update(changes)
    return data


SINGLE = {
    "qualification": {"current_series": "05", "current_major": "机械工程", "current_level": "2",
                      "current_title": "0503", "current_title_date": "2016-12-01", "years_since_title": "9",
                      "hired_series": "05", "hired_level": "2", "hired_post": "工程师", "hired_date": "2017-01",
                      "years_in_post": "8", "years_professional": "13"},
    "experience": {"before": "2012年7月至2016年12月在天津百利机械装备集团有限公司从事机械设计工作，参与主持两项设备改造。",
                   "after": "2017年1月至今任工程师，主持完成数控机床主轴系统的设计与改进，获公司科技进步一等奖。"},
    "achievements": {"content": "主持高速数控机床主轴系统研发项目，负责总体方案设计，项目通过天津市科技成果鉴定，年增效益三百万元。"},
    "teacher": {"stage": "1", "subject": "02", "edu_work_date": "2010-09-01", "years_middle": "15",
                "years_primary": "0", "years_kindergarten": "0", "years_since_post": "8", "years_head_teacher": "10",
                "teaching_results": "所带班级数学成绩连续三年全区第一。"},
    "accounting": {"exam_year": "2023", "certificate_no": "20231200012345", "valid_from": "2023-10-01",
                   "valid_to": "2028-09-30"},
}


def health_page(education_row_id, **changes):
    data = {"institution_type": "1", "institution_level": "3", "institution_nature": "1", "qualification": "2",
            "practice_scope": "101", "specialty": "101", "language_level": "1", "review_title": "心力衰竭诊治进展综述",
            "review_date": "2023-06-15", "review_journal": "中华心血管病杂志", "transfer": "否", "exceptional": "否",
            "support": "无", "community_service": "1", "effective_education": str(education_row_id)}
    data.update(changes)
    return data


ROWS = {
    "education": [{"start_date": "2008-09-01", "end_date": "2012-07-01", "school": "天津大学", "major": "机械工程",
                   "education": "21", "degree": "408", "before_work": "是", "note": ""}],
    "associations": [{"name": "天津市机械工程学会", "post": "理事", "start_date": "2019-05", "end_date": ""}],
    "training": [{"year": str(y), "content": "机械工程继续教育专业科目", "hours": "120"} for y in (2022, 2023, 2024, 2025)],
    "papers": [{"title": "数控机床主轴热变形补偿方法研究", "journal": "机械工程学报", "number": "ISSN0577-6686 CN11-2187/TH",
                "published": "2021-03", "rank": "1", "words": "8000"}],
    "books": [],
    "patents": [{"name": "一种主轴冷却装置", "category": "2", "number": "ZL202020123456.7", "granted": "2021-05-20",
                 "rank": "1"}],
    "awards": [{"name": "天津市科技进步二等奖", "project": "高速数控机床主轴系统", "awarded": "2022-12",
                "issuer": "天津市人民政府", "rank": "2"}],
    "assessments": [{"year": str(y), "result": "1"} for y in (2021, 2022, 2023, 2024, 2025)],
    "teacher_resume": [{"start_date": "2010-09", "end_date": "", "employer": "天津市第一中学", "content": "高中数学",
                        "post": "高级教师"}],
    "teacher_teaching": [{"start_date": "2018-09", "end_date": "", "grade": "高一", "stage": "1", "subject": "02",
                          "weekly_hours": "12", "head_teacher": "是", "activity": "2"}],
    "teacher_research": [{"topic": "高中数学建模教学研究", "department": "天津市教育科学研究院", "results": "结题报告",
                          "role": "主持", "evaluation": "优秀"}],
    "health_papers": [{"title": "慢性心衰患者的综合管理", "journal": "天津医药", "published": "2022-05", "words": "6000"}],
}


def post(client, path, data):
    payload = dict(data)
    payload["csrf_token"] = csrf_token(client, "/declaration/basic")
    return client.post(path, data=payload)


def upload(client, section, kind, row=None, content=None, name="证件.jpg"):
    from io import BytesIO

    data = {"section": section, "kind": kind, "row": str(row or ""),
            "csrf_token": csrf_token(client, "/declaration/basic"),
            "file": (BytesIO(content if content is not None else jpeg()), name)}
    return client.post("/declaration/files", data=data, content_type="multipart/form-data",
                       headers={"Accept": "application/json"})


def row_ids(app, section_key, applicant="120101199003070013"):
    from models import Account, Declaration
    from models.registry import BY_KEY

    model = BY_KEY[section_key].model
    with app.app_context():
        return list(db.session.scalars(
            select(model.id).join(Declaration, Declaration.id == model.declaration_id)
            .join(Account, Account.id == Declaration.applicant_id)
            .where((Account.username == applicant) | Account.id_number_is(applicant)).order_by(model.id)))


def fill(client, app, kind="engineering", username="120101199003070013"):
    """A complete declaration of the given kind; asserts every step."""
    assert post(client, "/declaration/basic", basic(app, kind)).status_code == 302
    for key in ("photo", "id_card"):
        assert upload(client, "basic", key).json["ok"]
    for key in ("qualification", "experience", "achievements"):
        assert post(client, f"/declaration/{key}", SINGLE[key]).status_code == 302, key
    assert upload(client, "qualification", "title_certificate").json["ok"]
    assert upload(client, "qualification", "appointment").json["ok"]
    for key in ("education", "associations", "training", "papers", "patents", "awards", "assessments"):
        for row in ROWS[key]:
            response = post(client, f"/declaration/{key}/new", row)
            assert response.status_code == 302, (key, response.get_data(as_text=True)[:3000])
    for key, kind_key in (("education", "certificates"), ("training", "certificate"), ("papers", "pages"),
                          ("patents", "certificate"), ("awards", "certificate")):
        for row_id in row_ids(app, key, username):
            assert upload(client, key, kind_key, row=row_id).json["ok"], key
    if kind == "teacher":
        assert post(client, "/declaration/teacher", SINGLE["teacher"]).status_code == 302
        for key in ("teacher_resume", "teacher_teaching", "teacher_research"):
            for row in ROWS[key]:
                assert post(client, f"/declaration/{key}/new", row).status_code == 302, key
    if kind == "health":
        education = row_ids(app, "education", username)[0]
        assert post(client, "/declaration/health", health_page(education)).status_code == 302
        for key in ("physician_certificate", "physician_license"):
            assert upload(client, "health", key).json["ok"], key
        for row in ROWS["health_papers"]:
            assert post(client, "/declaration/health_papers/new", row).status_code == 302
    if kind == "accounting":
        assert post(client, "/declaration/accounting", SINGLE["accounting"]).status_code == 302
        assert upload(client, "accounting", "files").json["ok"]


def submit(client, pledge=True):
    """提交, confirming the 诚信承诺书 shown on the page (unless `pledge` is False)."""
    import re

    html = client.get("/declaration/basic").get_data(as_text=True)
    found = re.search(r'name="pledge" value="([0-9]+)"', html)
    data = {"csrf_token": csrf_token(client, "/declaration/basic")}
    if pledge and found:
        data["pledge"] = found.group(1)
    return client.post("/declaration/submit", data=data)


def act(client, declaration_id, action, opinion="", version=None):
    page = f"/review/{declaration_id}"
    token = csrf_token(client, "/account/password")  # a page every role reaches
    if version is None:
        import re
        html = client.get(page).get_data(as_text=True)
        found = re.search(r'name="version" value="([0-9]+)"', html)
        version = found.group(1) if found else ""
    return client.post(f"{page}/act", data={"action": action, "opinion": opinion, "version": str(version),
                                             "csrf_token": token})


def declaration_id(app, username="120101199003070013"):
    from models import Account, Declaration

    with app.app_context():
        return db.session.scalar(select(Declaration.id).join(Account, Account.id == Declaration.applicant_id)
                                 .where((Account.username == username) | Account.id_number_is(username)))


def status_of(app, decl_id):
    from models import Declaration

    with app.app_context():
        return db.session.get(Declaration, decl_id).status
