"""List-export writers side by side: rows per second and peak memory (RSS
growth, not tracemalloc, which slows Python code about 12×), 11 columns of
Chinese text as the reviewers' export.

    .venv/bin/python scripts/bench/writers.py [rows]
"""
import io
import resource
import sys
import time


def rows(n):
    yield ["序号", "姓名", "身份证号", "手机号", "工作单位", "申报专业技术系列", "申报专业技术级别", "申报年度", "状态",
           "提交时间", "证书编号"]
    for i in range(n):
        yield [i, "张明", "1201**********0013", "138****0001", "天津百利机械装备集团有限公司", "工程技术人员", "副高级",
               2026, "待单位审核", "2026-11-26 07:20", "=不是公式"]


def openpyxl_write_only(n):
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet("申报列表")
    for row in rows(n):
        out = []
        for v in row:
            if isinstance(v, str) and v.startswith(("=", "+", "-", "@")):
                c = WriteOnlyCell(sheet, v)
                c.data_type = "s"
                v = c
            out.append(v)
        sheet.append(out)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def xlsxwriter_constant_memory(n):
    import xlsxwriter

    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"constant_memory": True, "strings_to_formulas": False,
                                     "strings_to_numbers": False, "strings_to_urls": False})
    sheet = book.add_worksheet("申报列表")
    for r, row in enumerate(rows(n)):
        sheet.write_row(r, 0, row)
    book.close()
    return buf.getvalue()


def rustpy_xlsxwriter(n):
    """The app's own writer (reports/workbooks.py)."""
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from reports.workbooks import write_rows
    return write_rows(rows(n), "申报列表")


WRITERS = {"rustpy-xlsxwriter (the app's)": rustpy_xlsxwriter, "openpyxl write_only (lxml)": openpyxl_write_only,
           "XlsxWriter constant_memory": xlsxwriter_constant_memory}


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    for name, writer in WRITERS.items():
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        data = writer(n)
        seconds = time.perf_counter() - started
        grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
        print(f"{name}: {n:,} rows in {seconds:.2f} s = {n / seconds:,.0f} rows/s, {len(data) / 1024:,.0f} KiB, "
              f"peak RSS growth {grown:.0f} MiB")


if __name__ == "__main__":
    main()
