"""Excel files: list exports in streaming (write-only) mode, and the
formatted 专业技术资格评审表. Text from people is always a text cell, so a
value beginning with = + - @ never becomes a formula."""
from __future__ import annotations

import io
import itertools



def text_cell(cell, value):
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"   # never a formula, whatever it begins with
    return cell


def write_rows(rows, sheet_title: str = "Sheet1", on_progress=None) -> bytes:
    """Stream rows (the first is the header) into a workbook. The Rust
    writer (rustpy-xlsxwriter) is about ten times faster than XlsxWriter's
    constant-memory mode and keeps about 12 MiB per 100,000 rows
    (scripts/bench/writers.py). Strings are written as strings, never as
    formulas or numbers (formulas only in columns named as such)."""
    from rustpy_xlsxwriter import FastExcel

    rows = iter(rows)
    headers = _unique_headers(next(rows))

    def records():
        for number, row in enumerate(rows, 1):
            yield dict(zip(headers, row))
            if on_progress and number % 500 == 0:
                on_progress(number)

    data = records()
    first = next(data, None)
    if first is None:   # the Rust writer takes its header from the first record
        return _headers_only(headers, sheet_title)
    buf = io.BytesIO()
    FastExcel(buf).sheet(sheet_title, itertools.chain([first], data)).save()
    return buf.getvalue()


def _headers_only(headers: list[str], sheet_title: str) -> bytes:
    """An empty list, or an import template: just the header row."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = sheet_title
    for col, header in enumerate(headers, 1):
        text_cell(sheet.cell(1, col), header)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _unique_headers(headers) -> list[str]:
    """Records are keyed by header: two equal headers must stay two columns."""
    seen: dict[str, int] = {}
    out = []
    for h in map(str, headers):
        seen[h] = seen.get(h, 0) + 1
        out.append(h if seen[h] == 1 else f"{h}（{seen[h]}）")
    return out


def review_form_workbook(h: dict, blocks, events, status_labels) -> bytes:
    """专业技术资格评审表 as a formatted sheet that prints on A4 without adjustment."""
    # openpyxl is loaded when a form is made, not by every web worker at start (#13: memory)
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    thin = Side(style="thin", color="000000")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="top")
    center = Alignment(horizontal="center", vertical="center", wrap_text=True)
    label_fill = PatternFill("solid", fgColor="EEEEEE")
    book = Workbook()
    sheet = book.active
    sheet.title = "评审表"
    # enough columns for the widest table, so no value is ever dropped
    width = max([8] + [len(b.headers) for b in blocks if b.many])
    for col in range(1, width + 1):
        sheet.column_dimensions[get_column_letter(col)].width = 14 if col % 2 else 16
    row = 1

    def merged(text, r, c1, c2, bold=False, fill=None, align=wrap, size=10):
        sheet.merge_cells(start_row=r, start_column=c1, end_row=r, end_column=c2)
        cell = text_cell(sheet.cell(r, c1), text)
        cell.font = Font(bold=bold, size=size)
        cell.alignment = align
        for c in range(c1, c2 + 1):
            sheet.cell(r, c).border = border
            if fill:
                sheet.cell(r, c).fill = fill

    merged("专业技术资格评审表", row, 1, width, bold=True, align=center, size=16)
    sheet.row_dimensions[row].height = 30
    row += 1
    merged(f"{h['year']}年度　申报{h['series']}　{h['title']}" + (f"　证书编号：{h['certificate_no']}"
                                                              if h["certificate_no"] else ""),
           row, 1, width, align=center)
    row += 1
    for pairs in ([("姓名", h["name"]), ("性别", h["gender"]), ("出生日期", h["birth_date"]), ("民族", h["ethnicity"])],
                  [("工作单位", h["unit"]), ("申报专业", h["major"]), ("申报级别", h["level"]),
                   ("政治面貌", h["political_status"])]):
        for i, (label, value) in enumerate(pairs):
            merged(label, row, 2 * i + 1, 2 * i + 1, bold=True, fill=label_fill)
            merged(value, row, 2 * i + 2, 2 * i + 2)
        row += 1
    for block in blocks:
        if block.key == "basic":
            continue
        row += 1
        merged(block.title, row, 1, width, bold=True, fill=label_fill, size=11)
        row += 1
        if block.many:
            if not block.rows:
                merged("无", row, 1, width)
                row += 1
                continue
            spans = _spans(len(block.headers), width)
            for values, bold in [(block.headers, True)] + [(r, False) for r in block.rows]:
                for (c1, c2), value in zip(spans, values):
                    merged(value, row, c1, c2, bold=bold, fill=label_fill if bold else None)
                sheet.row_dimensions[row].height = _height(values, spans)
                row += 1
        else:
            half = width // 2
            for i in range(0, len(block.pairs), 2):
                for j, (label, value) in enumerate(block.pairs[i:i + 2]):
                    merged(label, row, half * j + 1, half * j + 1, bold=True, fill=label_fill)
                    merged(value, row, half * j + 2, half * (j + 1))
                sheet.row_dimensions[row].height = _height([v for _, v in block.pairs[i:i + 2]],
                                                           [(2, half), (half + 2, 2 * half)])
                row += 1
            for label, value in block.wide:
                merged(label, row, 1, 1, bold=True, fill=label_fill)
                merged(value, row, 2, width)
                sheet.row_dimensions[row].height = _height([value], [(2, width)])
                row += 1
    row += 1
    merged("审核意见", row, 1, width, bold=True, fill=label_fill, size=11)
    row += 1
    for values, bold in [(["审核单位", "审核人", "结果", "意见", "时间"], True)] + [
            ([e.org_name, e.actor_name, status_labels[e.to_status], e.opinion, e.created_at.strftime("%Y-%m-%d")],
             False) for e in events if e.action != "submit"]:
        for (c1, c2), value in zip([(1, 2), (3, 3), (4, 4), (5, width - 1), (width, width)], values):
            merged(value, row, c1, c2, bold=bold, fill=label_fill if bold else None)
        row += 1

    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "portrait"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.5
    sheet.print_title_rows = "1:2"
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _spans(n: int, width: int) -> list[tuple[int, int]]:
    """Spread n columns of a table over the form's columns (n <= width)."""
    base, extra = divmod(width, n)
    spans, start = [], 1
    for i in range(n):
        size = base + (1 if i < extra else 0)
        spans.append((start, start + size - 1))
        start += size
    return spans


def _height(values, spans) -> float:
    """A row tall enough for its longest cell; every line the applicant typed
    starts a new printed line (the cells wrap, keeping the line breaks)."""
    lines = 1
    for value, (c1, c2) in zip(values, spans):
        chars_per_line = max(1, (c2 - c1 + 1) * 7)
        typed = str(value or "").split("\n")
        lines = max(lines, sum(max(1, -(-len(line) // chars_per_line)) for line in typed))
    return min(409, 15 * lines + 4)
