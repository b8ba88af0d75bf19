"""The one reader of uploaded Excel files: a sheet's stated size is never
trusted, rows and columns are capped before anything is kept, the zip's
entries and inflated sizes are capped (a zip bomb is refused), only the
columns asked for are kept, and no DTD is parsed."""
from __future__ import annotations

import tracemalloc
from datetime import datetime

import pytest

from app.platform.xlsx_reader import NOT_XLSX, OLD_FORMAT, TOO_LARGE, Limits, SheetRefused, read_table
from tests.workbooks import (
    DEFENCE_HEADER,
    SHEET,
    inflating,
    lying_about_size,
    many_entries,
    part,
    redimension,
    with_parts,
    workbook,
)

WANTED = DEFENCE_HEADER


def rows_of(data: bytes, limits: Limits | None = None, wanted=WANTED, required=("身份证号",)):
    return list(read_table(data, wanted, required, limits or Limits()))


def refusal(data: bytes, limits: Limits | None = None) -> str:
    with pytest.raises(SheetRefused) as caught:
        rows_of(data, limits)
    return str(caught.value)


def test_values_dates_and_only_the_wanted_columns():
    data = workbook([["序号", *WANTED, "多余的列"],
                     [1, "120101199003070013", datetime(2026, 12, 10, 9, 30), "301室", 2, None, "不读"],
                     [],
                     [3, "  ", None, None, None, None, "只有不读的列有值"],
                     [4, None, None, "402室", None, "备注", None]])
    assert rows_of(data) == [
        (2, {"身份证号": "120101199003070013", "答辩时间": datetime(2026, 12, 10, 9, 30), "答辩地点": "301室",
             "答辩分组": 2, "备注": None}),
        (5, {"身份证号": None, "答辩时间": None, "答辩地点": "402室", "答辩分组": None, "备注": "备注"}),
    ]


def test_a_stated_dimension_of_the_whole_grid_is_ignored():
    """openpyxl pads every row to the stated A1:XFD1048576 (16,384 cells a row);
    the reader keeps the five columns asked for, in a few hundred kilobytes."""
    rows = [WANTED, ["120101199003070013", "2026-12-10 09:00", "301室", "", ""], *([" "] for _ in range(3000))]
    data = redimension(workbook(rows))
    assert b'<dimension ref="A1:XFD1048576"/>' in part(data)
    tracemalloc.start()
    try:
        found = rows_of(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [number for number, _ in found] == [2]
    assert peak < 5 * 1024 * 1024, f"{peak / 1e6:.1f} MB"


def test_cells_right_of_the_column_cap_are_not_read():
    far = ["x"] * 60 + ["身份证号"]   # the header beyond the 50th column is not looked for
    assert "第1行缺少列：身份证号" in refusal(workbook([far, ["y"] * 61]))


def test_the_row_cap_counts_rows_with_data():
    header, good = WANTED, ["120101199003070013", "t", "p", "", ""]
    limits = Limits(max_rows=3)
    assert len(rows_of(workbook([header, good, [], [" "], good, good]), limits)) == 3
    assert refusal(workbook([header, good, good, good, good]), limits) == \
        "表格最多3行（不含第1行标题），请分成几个文件分别导入"


def test_a_sheet_that_inflates_past_the_cap_is_refused_before_inflating():
    data = inflating(workbook([WANTED]), megabytes=9)
    assert len(data) < 100_000
    tracemalloc.start()
    try:
        assert refusal(data) == TOO_LARGE
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2 * 1024 * 1024


def test_a_part_that_lies_about_its_size_is_cut_off():
    """A part stating a small size is inflated only that far (then its
    checksum fails): the stated size bounds the work even when it lies."""
    data = lying_about_size(inflating(workbook([WANTED, ["120101199003070013"]]), megabytes=9), size=1024 * 1024)
    tracemalloc.start()
    try:
        assert refusal(data) == NOT_XLSX
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * 1024 * 1024


def test_too_many_entries_are_refused_before_the_directory_is_read():
    assert refusal(many_entries(workbook([WANTED]), 1200)) == TOO_LARGE
    assert rows_of(many_entries(workbook([WANTED]), 100)) == []


def test_what_is_not_an_xlsx_file():
    assert refusal(b"not excel") == NOT_XLSX
    assert refusal(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600) == OLD_FORMAT
    assert refusal(with_parts(workbook([WANTED]), {"xl/workbook.xml": None})) == NOT_XLSX
    assert refusal(b"x" * (Limits().max_bytes + 1)) == "文件不能超过10MB"
    import io
    import zipfile
    plain = io.BytesIO()
    with zipfile.ZipFile(plain, "w") as zf:
        zf.writestr("readme.txt", "hello")
    assert refusal(plain.getvalue()) == NOT_XLSX


def test_no_entities_are_expanded():
    laughs = (b'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">'
              b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
              b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
              b'<row r="1"><c r="A1" t="inlineStr"><is><t>&b;</t></is></c></row></sheetData></worksheet>')
    assert refusal(with_parts(workbook([WANTED]), {SHEET: laughs})) == NOT_XLSX


def test_shared_strings_and_a_1904_workbook():
    """What Excel writes: strings in the shared table (with a phonetic run
    left out), dates as day numbers of the workbook's calendar."""
    from openpyxl import Workbook
    import io

    book = Workbook()
    book.epoch = datetime(1904, 1, 1)
    book.active.append(["x"])
    buf = io.BytesIO()
    book.save(buf)
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    strings = (f'<sst xmlns="{main}" count="3" uniqueCount="3"><si><t>身份证号</t></si><si><t>答辩时间</t></si>'
               '<si><r><t>共享</t></r><r><t>字符串</t></r><rPh><t>キョウユウ</t></rPh></si></sst>').encode()
    days = (datetime(2026, 12, 10, 14, 0) - datetime(1904, 1, 1)).total_seconds() / 86400
    sheet = (f'<worksheet xmlns="{main}"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c>'
             '<c r="B1" t="s"><v>1</v></c><c r="C1" t="inlineStr"><is><t>答辩地点</t></is></c></row>'
             f'<row r="2"><c r="A2" t="str"><f>A1</f><v>120101199003070013</v></c><c r="B2" s="1"><v>{days}</v></c>'
             '<c r="C2" t="s"><v>2</v></c></row></sheetData></worksheet>').encode()
    styles = (f'<styleSheet xmlns="{main}"><numFmts count="1"><numFmt numFmtId="176" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot; hh:mm"/></numFmts>'
              '<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="176" applyNumberFormat="1"/></cellXfs></styleSheet>').encode()
    rels = part(buf.getvalue(), "xl/_rels/workbook.xml.rels").replace(
        b"</Relationships>", b'<Relationship Id="rIdS" Target="sharedStrings.xml" Type="http://schemas.'
        b'openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/></Relationships>')
    data = with_parts(buf.getvalue(), {SHEET: sheet, "xl/styles.xml": styles, "xl/_rels/workbook.xml.rels": rels},
                      {"xl/sharedStrings.xml": strings})
    assert rows_of(data) == [(2, {"身份证号": "120101199003070013", "答辩时间": datetime(2026, 12, 10, 14, 0),
                                  "答辩地点": "共享字符串"})]
