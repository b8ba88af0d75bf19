"""The list-export writer (#13: the Rust-backed streaming writer): what a
person typed stays text, an empty list still has its header row, and a long
export reports its progress."""
import io

from openpyxl import load_workbook

from reports.workbooks import write_rows


def sheet_of(data: bytes):
    return load_workbook(io.BytesIO(data)).active


def test_text_that_looks_like_a_formula_or_a_number_stays_text():
    typed = ["=1+1", "+86 138", "-5", "@SUM(A1)", "0012", "2026-11-27"]
    sheet = sheet_of(write_rows([[f"列{i}" for i in range(len(typed))], typed, [1, 2.5, None, "", "x", 2026]]))
    first = list(sheet.iter_rows(min_row=2, max_row=2))[0]
    assert [c.value for c in first] == typed and {c.data_type for c in first} == {"s"}
    assert [c.value for c in list(sheet.iter_rows(min_row=3, max_row=3))[0]][:2] == [1, 2.5]


def test_an_empty_list_and_an_import_template_keep_their_header_row():
    sheet = sheet_of(write_rows([["身份证号", "姓名", "答辩时间"]], "答辩安排"))
    assert sheet.title == "答辩安排" and list(sheet.values) == [("身份证号", "姓名", "答辩时间")]


def test_equal_headers_stay_separate_columns_and_progress_is_reported():
    seen = []
    rows = [["姓名", "备注", "备注"]] + [[f"人{i}", "甲", "乙"] for i in range(1200)]
    sheet = sheet_of(write_rows(rows, "列表", on_progress=seen.append))
    values = list(sheet.values)
    assert values[0] == ("姓名", "备注", "备注（2）") and values[1] == ("人0", "甲", "乙") and len(values) == 1201
    assert seen == [500, 1000]
