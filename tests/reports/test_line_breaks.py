"""Texts typed on several lines (numbered achievements, a work history) keep
their lines on the reviewer's and the expert's pages, on the applicant's own
pages, in both PDFs and in the Excel 评审表 — and stay escaped."""
import io
import re

from openpyxl import load_workbook
from pypdf import PdfReader

from tests.committee import prepare, present_experts
from tests.conftest import APPLICANT_ID, login, logout, page_text
from tests.declaring import SINGLE, act, declaration_id, fill, post, status_of, submit

LINES = ["1.主持数控机床主轴研发", "2.完成齿轮箱减振改造", "3.<script>alert(1)</script>获科技进步奖"]
ESCAPED = ["1.主持数控机床主轴研发", "2.完成齿轮箱减振改造", "3.&lt;script&gt;alert(1)&lt;/script&gt;获科技进步奖"]
HISTORY = ["1.2012年起从事机械设计", "2.2017年起任工程师"]


def _declare_with_lines(app, client) -> int:
    """张明's declaration with numbered lines (sent as a browser does, \\r\\n),
    taken to 评委会评审."""
    login(client, APPLICANT_ID)
    fill(client, app)
    assert post(client, "/declaration/achievements", {"content": "\r\n".join(LINES)}).status_code == 302
    experience = dict(SINGLE["experience"], after="\r\n".join(HISTORY))
    assert post(client, "/declaration/experience", experience).status_code == 302
    assert submit(client).status_code == 302
    decl = declaration_id(app)
    for reviewer, action in (("baili_hr", "approve"), ("gxj_zc", "approve"), ("gc_pwh", "receive")):
        login(client, reviewer)
        assert act(client, decl, action).status_code == 302
    assert status_of(app, decl) == "committee_review"
    return decl


def _shows_lines(html: str, lines: list[str]) -> None:
    """The lines are consecutive, each ending in a <br> but the last."""
    assert re.search(r"\s*<br>\s*".join(re.escape(line) for line in lines), html), lines
    assert "<script>alert(1)" not in html


def _pdf_lines(pdf: bytes) -> list[str]:
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return [re.sub(r"\s+", "", line) for line in text.split("\n")]


def _each_on_its_own_line(pdf: bytes, lines: list[str], name: str) -> None:
    printed = _pdf_lines(pdf)
    for line in lines:
        assert any(p.startswith(line) for p in printed), (name, line, [p for p in printed if line[2:6] in p])


def test_numbered_lines_stay_lines_everywhere(app, client):
    decl = _declare_with_lines(app, client)
    # the committee secretary (a reviewer) and both printouts
    html = page_text(client.get(f"/review/{decl}"))
    _shows_lines(html, ESCAPED)
    _shows_lines(html, HISTORY)
    for name in ("summary", "review"):
        preview = page_text(client.get(f"/print/{decl}/{name}"))
        _shows_lines(preview, ESCAPED)
        response = client.get(f"/print/{decl}/{name}.pdf")
        assert response.status_code == 200
        _each_on_its_own_line(response.data, LINES + HISTORY, name)
    # the Excel 评审表: one cell, three lines, wrapped, tall enough for three
    book = load_workbook(io.BytesIO(client.get(f"/print/{decl}/review.xlsx").data))
    sheet = book.active
    cell = next(c for r in sheet.iter_rows() for c in r if isinstance(c.value, str) and c.value.startswith("1.主持"))
    assert cell.value == "\n".join(LINES) and cell.alignment.wrap_text
    assert sheet.row_dimensions[cell.row].height >= 15 * 3
    # an expert drawn into the group
    group = prepare(app, [decl])
    expert = present_experts(app, group)[0]
    logout(client)
    login(client, expert)
    html = page_text(client.get(f"/expert/{decl}"))
    _shows_lines(html, ESCAPED)
    _shows_lines(html, HISTORY)


def test_the_applicants_own_pages_keep_the_lines(app, client):
    login(client, APPLICANT_ID)
    fill(client, app)
    assert post(client, "/declaration/achievements", {"content": "\r".join(LINES)}).status_code == 302
    form = page_text(client.get("/declaration/achievements"))
    assert "\n".join(ESCAPED) in form     # the textarea shows what was typed, one line each
    _shows_lines(page_text(client.get(f"/print/{declaration_id(app)}/summary")), ESCAPED)


def test_text_lines_filter():
    from app.platform.web import text_lines

    assert text_lines("a\r\nb\rc\n<i>") == "a<br>\nb<br>\nc<br>\n&lt;i&gt;"
    assert text_lines(None) == ""
