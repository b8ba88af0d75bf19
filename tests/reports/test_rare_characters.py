"""Rare characters (GB 18030-2022: CJK Ext. A–G in names, units and titles,
and emoji) reach every page, PDF and Excel file: registration keeps them,
search finds them, every printout draws them (text layer extracted by pypdf
and pdftotext) and the exports read them back. A character no font has is a
logged placeholder, never a silent drop."""
import io
import logging
import os
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import select

from app.platform.extensions import db
from models import Account, Organisation, ReviewGroup
from reports import glyphs
from tests.accounts.test_registration import NEW_PHONE, agree, form_data, send_code
from tests.committee import SECRETARY, close, prepare, publish, vote
from tests.conftest import csrf_token, last_code, login, page_text
from tests.declaring import ROWS, act, declaration_id, fill, submit, unit_id
from tests.reports.paper import check_printout, html_texts, pypdf_text, squeeze
from tests.reports.test_paper import arrange_defence
from tests.review.conftest import OTHER_ID

# Ext. A 䶮, B 𠮷, C 𫖮, D 𫝀, E 𫠠, F 𬺰, G 𰻝, an emoji
NAME = "陶䶮𠮷𫖮𫝀𫠠𬺰𰻝😀"
# Ext. A, B, C, D 𫝀, E 𫠠, F 𬺰, G 𰻝 (biáng), an emoji
TITLE = "䶮𠮷𫖮𫝀𫠠𬺰𰻝😀面条机的研究"
UNIT = "天津𰻝䶮机械装备集团有限公司"
RARE = [c for c in NAME + TITLE + UNIT if ord(c) > 0x3400 and not 0x4E00 <= ord(c) <= 0x9FFF]


def fonts(app):
    with app.app_context():
        from reports.pdf import fallback_fonts, font_path
        return glyphs.font_set(font_path(), fallback_fonts())


def test_configured_fonts_cover_the_rare_characters(app):
    fs = fonts(app)
    assert len(fs.fallbacks) == len(app.config["PDF_FALLBACK_FONTS"]), "fallback fonts not installed"
    for c in RARE:
        assert fs.font_for(ord(c)), f"U+{ord(c):04X}"


def test_ordinary_text_takes_the_fast_path(app):
    html = "<html><head><style></style></head><body><p>张明 天津百利机械 A-1 &amp; 2026年</p></body></html>"
    assert glyphs.with_fallback_fonts(html, fonts(app)) is html


def test_runs_the_main_font_lacks_are_set_in_a_fallback_font(app):
    html = ('<html><head><style>body { font-family: cjk; }</style><title>䶮</title></head>'
            '<body><p title="䶮">王䶮 陶𫖮𰻝 &amp; 葛\U000E0100</p></body></html>')
    out = glyphs.with_fallback_fonts(html, fonts(app))
    fs = fonts(app)
    a, c, g = (fs.font_for(ord(ch)) for ch in "䶮𫖮𰻝")
    assert f'王<span style="font-family: cjkfb{a}">䶮</span>' in out
    assert f'<span style="font-family: cjkfb{c}">𫖮</span><span style="font-family: cjkfb{g}">𰻝</span>' in out
    assert "&amp; 葛</p>" in out                       # the variation selector has no glyph of its own
    assert '<title>䶮</title>' in out and 'title="䶮"' in out     # head and attributes left alone
    assert all(glyphs.uses(out, i) for i in {a, c, g})


def test_a_character_no_font_has_is_a_logged_placeholder(app, caplog):
    html = "<html><head><style></style></head><body><p>王\U0010FFFD明</p></body></html>"
    with caplog.at_level(logging.ERROR, logger="reports.glyphs"):
        out = glyphs.with_fallback_fonts(html, fonts(app))
    assert f"<p>王{glyphs.PLACEHOLDER}明</p>" in out
    assert [r.getMessage() for r in caplog.records] == [
        f"PDF: no configured font has U+10FFFD; printed as {glyphs.PLACEHOLDER}"]
    assert "王" not in caplog.text                     # the code point, never the name


def test_astral_characters_are_in_the_text_layer(app):
    """ReportLab wrote characters beyond the BMP into the ToUnicode map as
    <2B5AE>, which readers drop; they are UTF-16 pairs now."""
    from reports.pdf import _fonts, _render
    with app.app_context():
        main, *fallbacks = _fonts()
        html = (f'<html><head><style>@font-face {{ font-family: cjk; src: url("{main}"); }} '
                f'p {{ font-family: cjk; }}</style></head><body><p>{TITLE}</p></body></html>')
        pdf = _render(glyphs.with_fallback_fonts(html, glyphs.font_set(main, tuple(fallbacks))), _fonts())
    assert squeeze(TITLE) in squeeze(pypdf_text(pdf))


def register(app, client):
    assert agree(client).status_code == 302
    assert send_code(client).json["ok"]
    response = client.post("/register/form", data=form_data(client, name=NAME, sms_code=last_code(app, NEW_PHONE)))
    assert response.status_code == 302, page_text(response)[:2000]
    with app.app_context():
        assert db.session.scalar(select(Account.first_name).where(Account.id_number_is(OTHER_ID))) == NAME


def test_rare_characters_through_registration_search_printouts_and_exports(app, client, monkeypatch):
    register(app, client)
    monkeypatch.setitem(ROWS["papers"][0], "title", TITLE)
    applicant = app.test_client()
    login(applicant, OTHER_ID, password="abc12345")
    fill(applicant, app, username=OTHER_ID)
    with app.app_context():
        db.session.get(Organisation, unit_id(app)).name = UNIT
        db.session.commit()
    assert submit(applicant).status_code == 302
    decl = declaration_id(app, OTHER_ID)
    for reviewer, action in (("baili_hr", "approve"), ("gxj_zc", "approve"), ("gc_pwh", "receive")):
        login(client, reviewer)
        assert act(client, decl, action).status_code == 302

    # search by the rare name; the list and the Excel export keep it
    token = csrf_token(client, "/review/?tab=all")
    client.post("/review/search", data={"q": NAME, "back": "/review/?tab=all", "csrf_token": token})
    assert NAME in page_text(client.get("/review/?tab=all"))
    rows = list(load_workbook(io.BytesIO(client.get("/review/export?tab=all").data)).active.iter_rows(values_only=True))
    assert [r[1] for r in rows[1:]] == [NAME]
    assert NAME in page_text(client.get(f"/review/{decl}")) and TITLE in page_text(client.get(f"/review/{decl}"))

    # every printout: its whole preview on paper, the rare characters in the text layer
    arrange_defence(app, decl)
    for printout in ("summary", "review", "defence"):
        texts = html_texts(page_text(applicant.get(f"/print/{decl}/{printout}")))
        pdf = applicant.get(f"/print/{decl}/{printout}.pdf").data
        check_printout(pdf, texts, printout)
        text = squeeze(pypdf_text(pdf))
        assert NAME in text and UNIT in text, printout
        if printout != "defence":
            assert TITLE in text, printout
    workbook = load_workbook(io.BytesIO(applicant.get(f"/print/{decl}/review.xlsx").data))
    cells = " ".join(str(c.value) for ws in workbook for row in ws.iter_rows() for c in row if c.value is not None)
    assert NAME in cells and TITLE in cells and UNIT in cells

    # 表决结果 and the e-certificate
    group = prepare(app, [decl])
    vote(app, group, decl, ["yes"] * 6)
    close(app, group)
    with app.app_context():
        meeting_id = db.session.get(ReviewGroup, group).meeting_id
    login(client, SECRETARY)
    results = client.get(f"/meetings/{meeting_id}/results.pdf")
    assert results.status_code == 200 and NAME in squeeze(pypdf_text(results.data))
    keep("vote-results", results.data)
    publish(app, group, ended=True)
    login(client, "zcb")
    assert act(client, decl, "approve").status_code == 302
    certificate = applicant.get(f"/certificate/{decl}.pdf")
    assert certificate.status_code == 200
    assert NAME in squeeze(pypdf_text(certificate.data))
    keep("certificate", certificate.data)


def keep(name, pdf):
    """PRINTOUT_DIR=… keeps the files to look at (as check_printout does)."""
    if os.environ.get("PRINTOUT_DIR"):
        Path(os.environ["PRINTOUT_DIR"], f"{name}.pdf").write_bytes(pdf)


def test_sms_text_keeps_every_character(app):
    from app.platform.sms import send_sms
    from tests.conftest import outbox
    with app.app_context():
        send_sms("13912345678", f"{NAME}同志：您申报的《{TITLE}》已受理。")
    assert f"{NAME}同志：您申报的《{TITLE}》已受理。" in outbox(app)[-1]["text"]


def test_list_writer_keeps_every_character():
    from reports.workbooks import write_rows
    data = write_rows([["姓名", "工作单位", "论文题目"], [NAME, UNIT, TITLE]])
    assert list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))[1] == (NAME, UNIT, TITLE)
