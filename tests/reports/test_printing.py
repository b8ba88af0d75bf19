"""Printouts and exports (P1–P5, B6, B8): Chinese in an embedded font, every
row on paper, formatted Excel, masked lists, background exports and the
public certificate check."""
import io
import re
import time

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.conftest import APPLICANT_ID, csrf_token, login, logout, page_text
from tests.declaring import ROWS, act, declaration_id, fill, post, submit

A3_LANDSCAPE = (1190.55, 841.89)


def fonts_used(pdf: bytes) -> set[str]:
    """The base fonts that text is actually drawn with: the font selected
    (Tf) at each text-showing operator (Tj, TJ, ', ")."""
    from pypdf.generic import ContentStream

    reader = PdfReader(io.BytesIO(pdf))
    used = set()
    for page in reader.pages:
        fonts = page["/Resources"].get("/Font", {})
        current = None
        for operands, operator in ContentStream(page.get_contents(), reader).operations:
            if operator == b"Tf":
                current = str(fonts[operands[0]].get_object()["/BaseFont"])
            elif operator in (b"Tj", b"TJ", b"'", b'"'):
                shown = operands[-1]
                if (isinstance(shown, list) and any(str(x).strip() for x in shown if not isinstance(x, (int, float)))) \
                        or (not isinstance(shown, list) and str(shown).strip()):
                    used.add(current)
    return used


def text_of(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def squeeze(s: str) -> str:
    return re.sub(r"\s+", "", s)


@pytest.fixture
def declared(app, client):
    login(client, APPLICANT_ID)
    fill(client, app)
    return declaration_id(app)


def test_summary_pdf_is_a3_chinese_and_embedded(app, client, declared):
    preview = client.get(f"/print/{declared}/summary")
    assert preview.status_code == 200 and "申报专业技术资格情况简表" in page_text(preview)
    assert "导出PDF" in page_text(preview)
    response = client.get(f"/print/{declared}/summary.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pdf = response.data
    reader = PdfReader(io.BytesIO(pdf))
    box = reader.pages[0].mediabox
    assert (round(float(box.width), 1), round(float(box.height), 1)) == (1190.6, 841.9)
    used = fonts_used(pdf)
    assert used and all("WenQuanYi" in f for f in used), used       # no text in Helvetica
    text = squeeze(text_of(pdf))
    for expected in ["申报专业技术资格情况简表", "张明", "天津百利机械装备集团有限公司", "学历信息", "天津大学",
                     "数控机床主轴热变形补偿方法研究", "天津市科技进步二等奖", "考核信息"]:
        assert expected in text, expected


def test_nothing_is_lost_on_paper(app, client, declared):
    for i in range(30):
        row = dict(ROWS["papers"][0], title=f"第{i:02d}篇论文：高速主轴热误差建模与补偿方法的实验研究")
        assert post(client, "/declaration/papers/new", row).status_code == 302
    for i in range(12):
        row = dict(ROWS["patents"][0], name=f"第{i:02d}项专利一种用于数控机床主轴的冷却装置", number=f"ZL2020201234{i:02d}.7")
        assert post(client, "/declaration/patents/new", row).status_code == 302
    long_text = "".join(f"第{i}段成果说明主持完成项目并取得显著效益。" for i in range(80))[:1500]
    assert len(long_text) == 1500
    assert post(client, "/declaration/achievements", {"content": long_text}).status_code == 302
    for path in (f"/print/{declared}/summary.pdf", f"/print/{declared}/review.pdf"):
        pdf = client.get(path).data
        text = squeeze(text_of(pdf))
        for i in range(30):
            assert f"第{i:02d}篇论文：高速主轴热误差建模与补偿方法的实验研究" in text, (path, i)
        for i in range(12):
            assert f"第{i:02d}项专利一种用于数控机床主轴的冷却装置" in text, (path, i)
        assert long_text in text, path
        assert len(PdfReader(io.BytesIO(pdf)).pages) > 1     # it flowed onto more pages
    book = load_workbook(io.BytesIO(client.get(f"/print/{declared}/review.xlsx").data))
    cells = " ".join(str(c.value) for row in book.active.iter_rows() for c in row if c.value)
    assert all(f"第{i:02d}篇论文" in cells for i in range(30)) and long_text in cells


def test_special_layouts(app, client):
    login(client, APPLICANT_ID)
    fill(client, app, "teacher")
    decl = declaration_id(app)
    text = squeeze(text_of(client.get(f"/print/{decl}/summary.pdf").data))
    assert "中小学教师申报专业技术资格情况简表" in text and "中小学教师信息" in text and "工作简历" in text
    assert text.index("中小学教师信息") < text.index("学历信息")   # the series' own page comes first


def test_health_layout_and_defence_notice(app, client):
    login(client, APPLICANT_ID)
    fill(client, app, "health")
    decl = declaration_id(app)
    text = squeeze(text_of(client.get(f"/print/{decl}/summary.pdf").data))
    assert "卫生技术人员申报专业技术资格情况简表" in text and "卫生技术信息" in text and "心力衰竭诊治进展综述" in text
    assert client.get(f"/print/{decl}/defence.pdf").status_code == 404    # no 答辩安排 yet
    from app.platform.extensions import db
    from models import DefenceArrangement
    with app.app_context():
        db.session.add(DefenceArrangement(declaration_id=decl, time="2026-12-11 14:00", place="第一中心医院报告厅",
                                          group="内科组", note="携带身份证"))
        db.session.commit()
    response = client.get(f"/print/{decl}/defence.pdf")
    assert response.status_code == 200
    text = squeeze(text_of(response.data))
    assert "答辩通知单" in text and "第一中心医院报告厅" in text and "1201**********0013" in text
    assert "答辩通知单" in page_text(client.get("/declaration/health"))


def test_user_text_is_escaped_and_fetches_nothing(app, client, declared, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    nasty = f'<img src="file://{secret}"><a href="http://127.0.0.1:1/x">链接</a>'
    row = dict(ROWS["papers"][0], title=nasty[:100])
    assert post(client, "/declaration/papers/new", row).status_code == 302
    pdf = client.get(f"/print/{declared}/summary.pdf").data
    text = text_of(pdf)
    assert "<img" in text and "TOP-SECRET" not in text
    html = page_text(client.get(f"/print/{declared}/summary"))
    assert "&lt;img src=" in html


def test_review_form_excel_is_formatted(app, client, declared):
    row = dict(ROWS["papers"][0], title="=cmd|' /C calc'!A0")
    assert post(client, "/declaration/papers/new", row).status_code == 302
    response = client.get(f"/print/{declared}/review.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    sheet = book.active
    assert sheet["A1"].value == "专业技术资格评审表" and "A1" in str(sheet.merged_cells)
    assert sheet["A1"].border.left.style == "thin"
    assert sheet.column_dimensions["B"].width >= 14
    assert int(sheet.page_setup.paperSize) == int(sheet.PAPERSIZE_A4) and int(sheet.page_setup.fitToWidth) == 1
    assert sheet.print_title_rows == "$1:$2"
    formula = [c for r in sheet.iter_rows() for c in r if c.value == "=cmd|' /C calc'!A0"]
    assert formula and formula[0].data_type == "s"
    assert any(c.alignment.wrap_text for r in sheet.iter_rows() for c in r if c.value)


def test_printouts_follow_the_scope(app, client, declared):
    from app.accounts.auth import create_applicant
    with app.app_context():
        create_applicant("王芳", "11010519491231002X", "wf@example.com", "13900000009", "abc12345")
    other = app.test_client()
    login(other, "11010519491231002X", password="abc12345")
    for path in ("summary", "summary.pdf", "review", "review.pdf", "review.xlsx", "defence"):
        assert other.get(f"/print/{declared}/{path}").status_code == 404, path
    reviewer = app.test_client()
    login(reviewer, "baili_hr")
    assert reviewer.get(f"/print/{declared}/summary").status_code == 404   # not submitted yet
    assert submit(client).status_code == 302
    assert reviewer.get(f"/print/{declared}/summary").status_code == 200
    login(reviewer, "gxj_zc")
    assert reviewer.get(f"/print/{declared}/review.pdf").status_code == 404  # the unit has not passed it


def test_missing_font_is_an_error_not_boxes(app, client, declared, monkeypatch):
    monkeypatch.setitem(app.config, "PDF_FONT", "/nonexistent/font.ttc")
    response = client.get(f"/print/{declared}/summary.pdf")
    assert response.status_code == 500 and "事件编号" in page_text(response)


def test_certificate_verification_and_qr(app, client, declared):
    assert submit(client).status_code == 302
    logout(client)
    for username, action in (("baili_hr", "approve"), ("gxj_zc", "approve"), ("gc_pwh", "receive")):
        login(client, username)
        act(client, declared, action)
    from tests.committee import evaluate
    evaluate(app, [declared])   # the experts pass it and its 公示 ended
    login(client, "zcb")
    act(client, declared, "approve")
    from app.platform.extensions import db
    from models import Declaration
    with app.app_context():
        number = db.session.get(Declaration, declared).certificate_no
    html = page_text(client.get(f"/print/{declared}/summary"))
    assert "扫码验证证书" in html and "data:image/png;base64," in html
    public = app.test_client()
    page = public.get(f"/verify/?no={number}")
    assert page.status_code == 200 and f'value="{number}"' in page_text(page)
    token = csrf_token(public, "/verify/")
    valid = public.post("/verify/", data={"no": number, "name": "张明", "csrf_token": token})
    result = page_text(valid).split('id="verify-valid"')[1]
    assert "证书有效" in result and "张*" in result and "张明" not in result   # masked in the answer
    assert APPLICANT_ID not in page_text(valid)
    wrong = public.post("/verify/", data={"no": number, "name": "李四", "csrf_token": token})
    assert "未查到该证书" in page_text(wrong)
    unknown = public.post("/verify/", data={"no": "2026-05-99999", "name": "张明", "csrf_token": token})
    assert "未查到该证书" in page_text(unknown)


def test_export_masks_unless_the_role_may_see(app, client, declared):
    submit(client)
    for username, full in (("baili_hr", False), ("zcb", True)):
        login(client, username)
        sheet = load_workbook(io.BytesIO(client.get("/review/export?tab=all").data)).active
        row = [c.value for c in sheet[2]]
        assert (row[2] == APPLICANT_ID) is full and (row[3] == "13800000001") is full
        assert row[2] in (APPLICANT_ID, "1201**********0013")


def test_large_export_runs_in_the_background(app, client, declared, monkeypatch):
    submit(client)
    monkeypatch.setitem(app.config, "EXPORT_BACKGROUND_ROWS", 0)
    login(client, "zcb")
    response = client.get("/review/export?tab=all")
    assert response.status_code == 302 and "/review/export/" in response.headers["Location"]
    job_url = response.headers["Location"]
    assert "正在后台生成" in page_text(client.get(job_url))
    for _ in range(100):
        state = client.get(job_url, headers={"Accept": "application/json"}).json
        if state["status"] in ("done", "failed"):
            break
        time.sleep(0.1)
    assert state["status"] == "done" and state["total"] == 1
    sheet = load_workbook(io.BytesIO(client.get(state["url"]).data)).active
    assert sheet.max_row == 2 and sheet["B2"].value == "张明"
    other = app.test_client()
    login(other, "baili_hr")
    assert other.get(job_url).status_code == 404 and other.get(state["url"]).status_code == 404


def test_applicant_downloads_all_their_data(app, client, declared):
    import json
    import zipfile
    response = client.get("/declaration/my-data.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    content = json.loads(archive.read("我的数据.json"))
    assert content["账号"]["身份证号"] == APPLICANT_ID
    assert content["申报"][0]["内容"]["basic"]["现从事专业"] == "机械设计"
    assert sum(name.startswith("附件/") for name in archive.namelist()) >= 8
    login(client, "baili_hr")
    assert client.get("/declaration/my-data.zip").status_code == 403
