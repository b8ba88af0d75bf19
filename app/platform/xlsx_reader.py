"""Reading uploaded Excel (.xlsx) files within fixed bounds. Every import
reads its file through `read_table`, so the caps live here, once.

An .xlsx file is a zip of XML parts, and it states its own sizes: the
sheet's `<dimension ref="A1:XFD1048576"/>` and each part's uncompressed size
are the sender's word. openpyxl trusts the dimension (a read-only sheet pads
every row to it) and builds every `<row>` whole before one cell is looked at,
so a 17 KB file can take hundreds of megabytes. Here, instead:

- the file, the zip's entries and every part read have a cap, checked
  before inflating (the central directory is counted by its signatures, not
  by its stated count) and again while inflating (the bytes are counted, so
  a part that lies about its size is cut off);
- the parts are parsed as a stream of cells (expat, no tree); the stated
  dimension is never read; cells right of the column cap, and columns the
  import does not ask for, are dropped as they are parsed; reading stops
  at the first row past the row cap;
- no DTD is accepted (no entities: no billion laughs, no external files).

Caps come from the settings IMPORT_MAX_BYTES, IMPORT_MAX_ROWS,
IMPORT_MAX_COLUMNS, IMPORT_MAX_PART_BYTES and IMPORT_MAX_ZIP_ENTRIES.
"""
from __future__ import annotations

import io
import posixpath
import re
import struct
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterator, Sequence
from xml.parsers import expat

from flask import current_app, has_app_context

NOT_XLSX = "文件不是有效的Excel（.xlsx）文件，请使用导入模板"
OLD_FORMAT = "文件不是.xlsx格式（可能是旧版.xls，或设置了打开密码），请在Excel中另存为.xlsx后导入"
TOO_LARGE = "文件内容超出导入范围（解压后过大或条目过多），请使用导入模板，只保留需要导入的数据"
#: Excel's own limit for one cell
MAX_CELL_CHARS = 32767
#: Excel's own limit of cell formats; more are read as plain numbers
MAX_STYLES = 65536
_CHUNK = 64 * 1024
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class SheetRefused(ValueError):
    """The file is not read; str() is the message for the page."""


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 10 * 1024 * 1024
    max_rows: int = 5000               # data rows, the header row not counted
    max_columns: int = 50              # the header is looked for, and cells kept, left of this
    max_part_bytes: int = 8 * 1024 * 1024
    max_zip_entries: int = 1000

    @classmethod
    def from_config(cls) -> "Limits":
        if not has_app_context():
            return cls()
        cfg, default = current_app.config, cls()
        return cls(**{name: int(cfg.get(f"IMPORT_{name.upper()}", getattr(default, name)))
                      for name in cls.__dataclass_fields__})

    def rows_message(self) -> str:
        return f"表格最多{self.max_rows}行（不含第1行标题），请分成几个文件分别导入"


def read_table(data: bytes, columns: Sequence[str], required: Sequence[str] = (),
               limits: Limits | None = None) -> Iterator[tuple[int, dict]]:
    """The first sheet's rows as (row number, {column: value}) for the
    `columns` found in row 1 (the header); rows where they are all blank are
    left out. Values are str, int, float, bool or datetime (a cell with a
    date format). Raises SheetRefused (also while iterating: past the row
    cap), so take the rows within one `try`."""
    limits = limits or Limits.from_config()
    book = _open(data, limits)
    try:
        yield from book.rows(columns, required)
    finally:
        book.close()


def _open(data: bytes, limits: Limits) -> "_Book":
    if len(data) > limits.max_bytes:
        raise SheetRefused(f"文件不能超过{limits.max_bytes // (1024 * 1024)}MB")
    if data.startswith(_OLE2):
        raise SheetRefused(OLD_FORMAT)
    _check_directory(data, limits)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise SheetRefused(NOT_XLSX) from None
    try:
        return _Book(archive, limits)
    except BaseException:
        archive.close()
        raise


def _check_directory(data: bytes, limits: Limits) -> None:
    """Count the zip's entries before zipfile builds an object for each: the
    signatures in the central directory, whatever its record says."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 22 - 65535))
    if end < 0 or len(data) < end + 22:
        raise SheetRefused(NOT_XLSX)
    stated, size, offset = struct.unpack("<HII", data[end + 10:end + 20])
    if stated == 0xFFFF or size == 0xFFFFFFFF or offset == 0xFFFFFFFF:
        # zip64: never needed by a spreadsheet within the byte cap
        raise SheetRefused(TOO_LARGE)
    directory = data[offset:offset + size] if offset + size <= end else data[:end]
    if stated > limits.max_zip_entries or directory.count(b"PK\x01\x02") > limits.max_zip_entries:
        raise SheetRefused(TOO_LARGE)


_NS_REL = "/relationships/"


class _Book:
    def __init__(self, archive: zipfile.ZipFile, limits: Limits):
        self.archive, self.limits = archive, limits
        self.names = {info.filename: info for info in archive.infolist()}
        main = self._target("_rels/.rels", "", "officeDocument") or "xl/workbook.xml"
        base = posixpath.dirname(main)
        rels = posixpath.join(base, "_rels", posixpath.basename(main) + ".rels")
        workbook = _Workbook()
        self._parse(main, workbook)
        if not workbook.first_sheet:
            raise SheetRefused(NOT_XLSX)
        targets = _Relationships()
        self._parse(rels, targets)
        self.sheet = _resolve(base, targets.by_id.get(workbook.first_sheet, ""))
        if self.sheet not in self.names:
            raise SheetRefused(NOT_XLSX)
        self.date1904 = workbook.date1904
        self.strings: list[str] = []
        shared = _resolve(base, targets.by_type.get("sharedStrings", ""))
        if shared in self.names:
            strings = _SharedStrings(limits.max_rows * limits.max_columns)
            self._parse(shared, strings)
            self.strings = strings.items
        self.date_styles: set[int] = set()
        styles = _resolve(base, targets.by_type.get("styles", ""))
        if styles in self.names:
            found = _Styles()
            self._parse(styles, found)
            self.date_styles = found.date_styles()

    def close(self) -> None:
        self.archive.close()

    def _target(self, rels: str, base: str, kind: str) -> str | None:
        if rels not in self.names:
            return None
        found = _Relationships()
        self._parse(rels, found)
        target = found.by_type.get(kind)
        return _resolve(base, target) if target else None

    def _chunks(self, name: str) -> Iterator[bytes]:
        info = self.names.get(name)
        if info is None:
            raise SheetRefused(NOT_XLSX)
        if info.file_size > self.limits.max_part_bytes:
            raise SheetRefused(TOO_LARGE)
        read = 0
        try:
            with self.archive.open(info) as stream:
                while chunk := stream.read(_CHUNK):
                    read += len(chunk)
                    if read > self.limits.max_part_bytes:
                        raise SheetRefused(TOO_LARGE)
                    yield chunk
        except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, OSError, EOFError):
            # bad CRC (a part longer than stated is cut there), unknown compression, encryption
            raise SheetRefused(NOT_XLSX) from None

    def _parse(self, name: str, handler: "_Handler") -> None:
        for _ in self._feed(name, handler):
            pass

    def _feed(self, name: str, handler: "_Handler") -> Iterator[None]:
        """Parse part `name` into `handler`, pausing after each chunk."""
        parser = _parser(handler)
        try:
            for chunk in self._chunks(name):
                parser.Parse(chunk, False)
                yield
            parser.Parse(b"", True)
        except expat.ExpatError:
            raise SheetRefused(NOT_XLSX) from None
        yield

    def rows(self, columns: Sequence[str], required: Sequence[str]) -> Iterator[tuple[int, dict]]:
        cells = _Cells(self.limits.max_columns)
        wanted: dict[int, str] | None = None
        count = 0
        for _ in self._feed(self.sheet, cells):
            ready, cells.done = cells.done, []
            for number, row in ready:
                if wanted is None:
                    wanted = self._header(row if number == 1 else {}, columns, required)
                    cells.keep = set(wanted)
                    if number == 1:
                        continue
                values = {name: self._value(row.get(col)) for col, name in wanted.items()}
                if all(_blank(v) for v in values.values()):
                    continue
                count += 1
                if count > self.limits.max_rows:
                    raise SheetRefused(self.limits.rows_message())
                yield number, values
        if wanted is None:
            self._header({}, columns, required)

    def _header(self, row: dict, columns: Sequence[str], required: Sequence[str]) -> dict[int, str]:
        found: dict[str, int] = {}
        for col in sorted(row):
            text = str(self._value(row[col]) or "").strip()
            if text in columns and text not in found:
                found[text] = col
        missing = [name for name in required if name not in found]
        if missing:
            raise SheetRefused(f"第1行缺少列：{'、'.join(missing)}（请使用导入模板）")
        return {col: name for name, col in found.items()}

    def _value(self, cell):
        if cell is None:
            return None
        kind, style, text = cell
        if kind == "s":
            try:
                return self.strings[int(text)]
            except (ValueError, IndexError):
                raise SheetRefused(NOT_XLSX) from None
        if kind in ("inlineStr", "str", "e"):
            return text
        if kind == "b":
            return text.strip() == "1"
        if kind == "d":
            try:
                return datetime.fromisoformat(text.strip())
            except ValueError:
                return text
        text = text.strip()
        if not text:
            return None
        try:
            number = float(text) if any(c in text for c in ".eE") else int(text)
        except ValueError:
            return text
        if style in self.date_styles:
            return _excel_date(number, self.date1904) or number
        return number


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _resolve(base: str, target: str) -> str:
    if not target:
        return ""
    path = target.lstrip("/") if target.startswith("/") else posixpath.join(base, target)
    return posixpath.normpath(path)


def _excel_date(serial: float, date1904: bool) -> datetime | None:
    """Excel's day number as a datetime (1900 system with its 29 February 1900, or 1904)."""
    if date1904:
        start = datetime(1904, 1, 1)
    else:
        start = datetime(1899, 12, 30) if serial >= 60 else datetime(1899, 12, 31)
    try:
        return start + timedelta(seconds=round(serial * 86400))
    except (OverflowError, ValueError):
        return None


# --- the parts, each parsed by a small expat handler ------------------------------------

def _local(name: str) -> str:
    """An element's name without its namespace ("uri name" → "name")."""
    return name.rpartition(" ")[2]


class _LocalNames(dict):
    """A memo of `_local`: a sheet has a handful of names and millions of elements."""

    def __missing__(self, name):
        self[name] = _local(name)
        return self[name]


def _parser(handler: "_Handler"):
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True
    local = _LocalNames()
    start, end = handler.start, handler.end

    def no_dtd(*_args):
        raise expat.ExpatError("a document type declaration is not accepted")

    parser.StartDoctypeDeclHandler = no_dtd
    parser.EntityDeclHandler = no_dtd
    parser.StartElementHandler = lambda name, attrs: start(local[name], attrs)
    parser.EndElementHandler = lambda name: end(local[name])
    parser.CharacterDataHandler = handler.text
    return parser


class _Handler:
    def start(self, name: str, attrs: dict) -> None:
        pass

    def end(self, name: str) -> None:
        pass

    def text(self, data: str) -> None:
        pass


def _attr(attrs: dict, name: str, default: str = "") -> str:
    for key, value in attrs.items():
        if _local(key) == name:
            return value
    return default


class _Relationships(_Handler):
    def __init__(self):
        self.by_id: dict[str, str] = {}
        self.by_type: dict[str, str] = {}

    def start(self, name, attrs):
        if name == "Relationship" and len(self.by_id) < 10_000:
            target, kind = _attr(attrs, "Target"), _attr(attrs, "Type")
            self.by_id[_attr(attrs, "Id")] = target
            self.by_type.setdefault(kind.rpartition(_NS_REL)[2] or kind.rpartition("/")[2], target)


class _Workbook(_Handler):
    def __init__(self):
        self.first_sheet = ""
        self.date1904 = False

    def start(self, name, attrs):
        if name == "sheet" and not self.first_sheet:
            self.first_sheet = _attr(attrs, "id")
        elif name == "workbookPr":
            self.date1904 = _attr(attrs, "date1904").lower() in ("1", "true")


class _Text(_Handler):
    """Text of <t> elements, leaving out phonetic runs (<rPh>), at most one cell's worth."""

    def __init__(self):
        self.parts: list[str] = []
        self.size = 0
        self.in_t = self.in_phonetic = False

    def start(self, name, attrs):
        if name == "t":
            self.in_t = True
        elif name == "rPh":
            self.in_phonetic = True

    def end(self, name):
        if name == "t":
            self.in_t = False
        elif name == "rPh":
            self.in_phonetic = False

    def text(self, data):
        if self.in_t and not self.in_phonetic:
            self.size += len(data)
            if self.size > MAX_CELL_CHARS:
                raise SheetRefused(f"单元格内容不能超过{MAX_CELL_CHARS}个字符")
            self.parts.append(data)

    def take(self) -> str:
        out = "".join(self.parts)
        self.parts, self.size = [], 0
        return out


class _SharedStrings(_Text):
    def __init__(self, cap: int):
        super().__init__()
        self.items: list[str] = []
        self.cap = cap

    def end(self, name):
        super().end(name)
        if name == "si":
            if len(self.items) >= self.cap:
                raise SheetRefused(TOO_LARGE)
            self.items.append(self.take())


_QUOTED = re.compile(r'"[^"]*"|\\.|\[(?![hms]+\])[^\]]*\]', re.IGNORECASE)
#: built-in formats that show a date or time (ECMA-376 18.8.30, with the Chinese ones 27–36, 50–58)
_DATE_FORMATS = set(range(14, 23)) | {45, 46, 47} | set(range(27, 37)) | set(range(50, 59))


class _Styles(_Handler):
    def __init__(self):
        self.custom: dict[int, str] = {}
        self.formats: list[int] = []
        self.in_xfs = False

    def start(self, name, attrs):
        if name == "numFmt" and len(self.custom) < MAX_STYLES:
            try:
                self.custom[int(_attr(attrs, "numFmtId"))] = _attr(attrs, "formatCode")
            except ValueError:
                pass
        elif name == "cellXfs":
            self.in_xfs = True
        elif name == "xf" and self.in_xfs and len(self.formats) < MAX_STYLES:
            try:
                self.formats.append(int(_attr(attrs, "numFmtId", "0")))
            except ValueError:
                self.formats.append(0)

    def end(self, name):
        if name == "cellXfs":
            self.in_xfs = False

    def date_styles(self) -> set[int]:
        def is_date(fmt_id: int) -> bool:
            if fmt_id in self.custom:
                code = _QUOTED.sub("", self.custom[fmt_id].split(";")[0])
                return bool(re.search(r"[dmyhs]", code, re.IGNORECASE))
            return fmt_id in _DATE_FORMATS
        return {index for index, fmt_id in enumerate(self.formats) if is_date(fmt_id)}


def _column(ref: str) -> int:
    number = 0
    for char in ref:
        if "A" <= char <= "Z":
            number = number * 26 + ord(char) - 64
        elif "a" <= char <= "z":
            number = number * 26 + ord(char) - 96
        else:
            break
    return number


class _Cells(_Text):
    """The sheet's rows, as {column: (type, style, text)} of the columns kept;
    finished rows collect in `done` until the reader takes them."""

    def __init__(self, max_columns: int):
        super().__init__()
        self.max_columns = max_columns
        self.keep: set[int] | None = None       # None: the header row, every column up to the cap
        self.done: list[tuple[int, dict]] = []
        self.row_number = 0
        self.row: dict[int, tuple] = {}
        self.column = 0
        self.cell: list | None = None           # [type, style] of a kept cell being read
        self.in_v = False

    def start(self, name, attrs):
        if name == "c":
            ref = attrs.get("r", "")
            self.column = _column(ref) if ref else self.column + 1
            kept = self.column <= self.max_columns and (self.keep is None or self.column in self.keep)
            if kept:
                try:
                    style = int(attrs.get("s", "0"))
                except ValueError:
                    style = 0
                self.cell = [attrs.get("t", "n"), style]
        elif self.cell is None:
            if name == "row":
                number = attrs.get("r", "")
                self.row_number = int(number) if number.isdigit() else self.row_number + 1
                self.row, self.column = {}, 0
        elif name == "v":
            self.in_v = True
        else:
            super().start(name, attrs)

    def end(self, name):
        if name == "c":
            if self.cell is not None:
                self.row[self.column] = (self.cell[0], self.cell[1], self.take())
                self.cell = None
        elif name == "row":
            if self.row:
                self.done.append((self.row_number, self.row))
            self.row = {}
        elif name == "v":
            self.in_v = False
        elif self.cell is not None:
            super().end(name)

    def text(self, data):
        if self.cell is None:
            return
        if self.in_v:
            self.size += len(data)
            if self.size > MAX_CELL_CHARS:
                raise SheetRefused(f"单元格内容不能超过{MAX_CELL_CHARS}个字符")
            self.parts.append(data)
        else:
            super().text(data)
