"""The printouts' content as plain data, made from the section registry, so
every field and every row of every applicable section reaches the paper (P4)."""
from __future__ import annotations

import base64
import io
import math
from dataclasses import dataclass, field

from app.declaration.data import DeclarationData, lookups
from app.platform.storage import StorageMissing, storage
from app.platform.web import public_url
from app.review.history import history
from app.review.pledge import latest_confirmation
from app.review.workflow import STATUS_LABELS
from models.registry import BY_KEY, Section

BASIC = BY_KEY["basic"]
HEADINGS = {"teacher": "中小学教师申报专业技术资格情况简表", "health": "卫生技术人员申报专业技术资格情况简表"}


def print_context(declaration, identity: bool = True) -> dict | None:
    """Everything a printout template needs; None before 个人基本信息 exists.
    Without `identity` (an expert's copy) the ID number and phone are masked."""
    data = DeclarationData.read(declaration)
    data.identity_masked = not identity
    if data.single("basic") is None:
        return None
    lk = lookups()
    return {
        "declaration": declaration, "data": data, "h": header(data, lk), "blocks": blocks(data, lk),
        "photo": photo_uri(data), "events": history(declaration),
        "qr": qr_uri(verify_url(declaration.certificate_no)) if declaration.certificate_no else None,
        "heading": HEADINGS.get(data.special_page, "申报专业技术资格情况简表"),
        "pledge": latest_confirmation(declaration),
    }


@dataclass
class Block:
    key: str
    title: str
    #: label/value pairs of a single page
    pairs: list[tuple[str, str]] = field(default_factory=list)
    #: long texts of a single page, each printed across the full width
    wide: list[tuple[str, str]] = field(default_factory=list)
    #: headers and rows of a rows section
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    many: bool = False

    @property
    def empty(self) -> bool:
        """Nothing saved: printed as one 无 row, not a grid of blank cells."""
        if self.many:
            return not self.rows
        return not any(value for _, value in self.pairs + self.wide)

    def widths(self, line: int) -> list[int]:
        """Column widths in percent for a table `line` half-ems wide."""
        return column_widths(self.headers, self.rows, line)

    def share(self, line: int) -> int:
        """How much of the line (percent) the table takes: all of it unless every column is short."""
        return table_share(self.headers, self.rows, line)


def _ink(text: str) -> int:
    """Printed width in half-em units: a Chinese character is two, a digit or
    letter a little more than one (in WenQuanYi Micro Hei). A text typed on
    several lines is as wide as its longest line (each prints on its own)."""
    return max(math.ceil(sum(2 if ord(c) > 0x2E80 else 1.15 for c in line)) for line in text.split("\n"))


SHORT = 14      # a date, number, rank or code: printed on one line, never wrapped
PADDING = 4     # a cell's padding (4pt each side) and borders, in half-ems


def _needs(headers: list[str], rows: list[list[str]]) -> list[int]:
    needs = []
    for i, header in enumerate(headers):
        value = max((_ink(row[i]) for row in rows), default=0)
        needs.append(max(value, -(-_ink(header) // 2), 4) + PADDING)
    return needs


MIN_SHARE = 40   # a table of short columns only (序号, 年度, 考核结果) takes at least this much of the line


def table_share(headers: list[str], rows: list[list[str]], line: int) -> int:
    """Percent of the line a table takes: the full line when it has a long text
    column; a table of short columns only is as wide as they need (≥ MIN_SHARE),
    not stretched over an A3 sheet."""
    needs = _needs(headers, rows)
    if not needs or any(n > SHORT + PADDING for n in needs):
        return 100
    return min(100, max(MIN_SHARE, math.ceil(100 * sum(needs) * 1.5 / line)))


def column_widths(headers: list[str], rows: list[list[str]], line: int) -> list[int]:
    """Percentages that fit the content of a table `line` half-ems wide:
    short columns (dates, numbers, ranks) get exactly what their longest
    value needs; long texts (titles, names) share the rest by their length.
    A header wraps onto two lines at most. A table of short columns only is
    laid out on its own width (`table_share`)."""
    needs = _needs(headers, rows)
    line = line * table_share(headers, rows, line) / 100
    short = [n if n <= SHORT + PADDING else 0 for n in needs]
    rest = line - sum(short)
    weights = [0 if s else min(n, 80) for s, n in zip(short, needs)]
    if rest <= 0 or not any(weights):
        units = needs if rest <= 0 else short
    else:
        units = [s or min(n, rest * w / sum(weights)) for s, n, w in zip(short, needs, weights)]
    total = sum(units)
    if total < line:        # everything fits: widen the long texts (or all but 序号) to the full line
        grow = [w for w in weights] if any(weights) else \
            [0 if i == 0 and headers[0] == "序号" and len(units) > 1 else u for i, u in enumerate(units)]
        units = [u + (line - total) * g / sum(grow) for u, g in zip(units, grow)]
    widths = [max(2, round(100 * u / sum(units))) for u in units]
    widths[widths.index(max(widths))] += 100 - sum(widths)
    return widths


def _section_block(data: DeclarationData, section: Section, lookups) -> Block:
    block = Block(section.key, section.title, many=section.many)
    if section.many:
        block.headers = ["序号"] + [f.label for f in section.stored_fields]
        block.rows = [[str(n)] + [_text(f.display(getattr(row, f.name), lookups)) for f in section.stored_fields]
                      for n, row in enumerate(data.rows(section.key), 1)]
    else:
        obj = data.single(section.key)
        for f in section.fields:
            if f.kind == "derived":
                value = data.derived(f.name)
            elif f.kind == "rowchoice":
                value = data.chosen_row(f, getattr(obj, f.name)) if obj is not None else ""
            else:
                value = f.display(getattr(obj, f.name), lookups) if obj is not None else ""
            if obj is None or f.applies(data.values(section.key)):
                target = block.wide if getattr(f, "multiline", False) else block.pairs
                target.append((f.label, "" if value is None else str(value)))
    return block


def _text(value) -> str:
    return "" if value is None else str(value)


def blocks(data: DeclarationData, lookups) -> list[Block]:
    """Every applicable section (sub-lists included); a series' own pages
    (中小学教师, 卫生技术, 会计) come right after 个人基本信息."""
    sections = []
    for page in data.pages():
        sections.append(page)
        sections += [c for c in page.children() if data.child_applies(c)]
    special = [s for s in sections if s.special_page]
    ordered = [s for s in sections if s.key == "basic"] + special + [s for s in sections
                                                                      if s.key != "basic" and not s.special_page]
    return [_section_block(data, s, lookups) for s in ordered]


def header(data: DeclarationData, lookups) -> dict:
    """The facts printed at the top of every form."""
    basic = data.single("basic")
    d = data.declaration

    def value(name):
        return BASIC.field(name).display(getattr(basic, name), lookups) if basic else ""
    return {
        "name": data.derived("name"), "gender": data.derived("gender"), "birth_date": data.derived("birth_date"),
        "id_number": data.derived("id_number"), "ethnicity": value("ethnicity"),
        "political_status": value("political_status"), "unit": value("unit_id"), "profession": value("profession"),
        "work_start_date": value("work_start_date"), "series": value("series"), "level": value("level"),
        "title": value("title"), "major": value("major"), "foreign_language": value("foreign_language"),
        "computer": value("computer"), "admin_post": value("admin_post"), "year": d.year,
        "status": STATUS_LABELS[d.status], "certificate_no": d.certificate_no or "",
    }


def photo_uri(data: DeclarationData) -> str | None:
    """The 电子照片 as a data: URI (the renderer then needs no file access)."""
    photos = data.attachments("basic", "photo")
    if not photos:
        return None
    try:
        return "data:image/jpeg;base64," + base64.b64encode(print_size(storage().read(photos[0].storage_key))).decode()
    except StorageMissing:
        return None   # printed without the photo; check-storage and 完整性检查 report it


#: the photo box is 2.5 × 3.3 cm: 300 × 400 pixels is 300 dpi, print quality
PHOTO_PRINT_PIXELS = (300, 400)


def print_size(jpeg: bytes) -> bytes:
    """The photo at print resolution: an upload keeps up to 2000 pixels, the
    form prints it 2.5 cm wide — a smaller image makes a smaller, faster PDF."""
    from PIL import Image

    with Image.open(io.BytesIO(jpeg)) as image:
        if image.width <= PHOTO_PRINT_PIXELS[0] and image.height <= PHOTO_PRINT_PIXELS[1]:
            return jpeg
        image.draft("RGB", PHOTO_PRINT_PIXELS)      # decode reduced: no full-size pixels
        small = image.convert("RGB")
        small.thumbnail(PHOTO_PRINT_PIXELS, Image.LANCZOS)
        out = io.BytesIO()
        small.save(out, format="JPEG", quality=88)
        return out.getvalue()


def verify_url(certificate_no: str) -> str:
    """The certificate check the QR code opens: on the public address, whoever renders it."""
    return public_url("VerifyView.index", no=certificate_no)


def qr_uri(text: str) -> str:
    import segno

    buf = io.BytesIO()
    segno.make(text, error="m").save(buf, kind="png", scale=4, border=2)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()

