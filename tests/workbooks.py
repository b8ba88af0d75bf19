"""Excel files for the import tests: made by openpyxl, then changed inside
the zip the way a hostile sender would (a stated dimension, a part that
inflates to megabytes, a part that lies about its size, thousands of entries)."""
from __future__ import annotations

import io
import re
import struct
import zipfile

SHEET = "xl/worksheets/sheet1.xml"
DEFENCE_HEADER = ["身份证号", "答辩时间", "答辩地点", "答辩分组", "备注"]


def workbook(rows) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("答辩安排")
    for row in rows:
        sheet.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def part(data: bytes, name: str = SHEET) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return zf.read(name)


def with_parts(data: bytes, changes: dict[str, bytes | None], extra: dict[str, bytes] | None = None) -> bytes:
    """The same zip with parts replaced (None: left out) and parts added."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = changes[info.filename] if info.filename in changes else src.read(info)
            if body is not None:
                dst.writestr(info.filename, body)
        for name, body in (extra or {}).items():
            dst.writestr(name, body)
    return out.getvalue()


def redimension(data: bytes, ref: str = "A1:XFD1048576") -> bytes:
    """The sheet claims `ref` as its range (openpyxl's write-only sheet states none: add it)."""
    body = part(data)
    if b"<dimension" in body:
        body = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="' + ref.encode() + b'"', body)
    else:
        body = body.replace(b"<sheetData", b'<dimension ref="' + ref.encode() + b'"/><sheetData', 1)
    return with_parts(data, {SHEET: body})


def inflating(data: bytes, megabytes: int) -> bytes:
    """The sheet padded with `megabytes` of blanks: a few kilobytes in the zip."""
    body = part(data).replace(b"<sheetData>", b"<sheetData>" + b" " * (megabytes * 1024 * 1024), 1)
    return with_parts(data, {SHEET: body})


def lying_about_size(data: bytes, name: str = SHEET, size: int = 2000) -> bytes:
    """`name`'s uncompressed size stated as `size` in the central directory (it is larger)."""
    raw = bytearray(data)
    start = 0
    while (start := raw.find(b"PK\x01\x02", start)) >= 0:
        name_length = struct.unpack("<H", raw[start + 28:start + 30])[0]
        if raw[start + 46:start + 46 + name_length].decode() == name:
            raw[start + 24:start + 28] = struct.pack("<I", size)
            return bytes(raw)
        start += 4
    raise KeyError(name)


def many_entries(data: bytes, count: int) -> bytes:
    return with_parts(data, {}, {f"xl/media/x{n}.txt": b"" for n in range(count)})
