"""Every character on paper, whatever font has it.

The main PDF font (WenQuanYi Micro Hei) lacks CJK Ext. A–G, many
compatibility ideographs and emoji, and ReportLab draws a character its font
lacks as nothing, in the text layer too. Before rendering, each run of text
the main font cannot draw is wrapped in a span of the first fallback font
that can (PDF_FALLBACK_FONTS; the renderer registers the ones a document
uses, see reports/pdf.py). A character no font has is logged with its code
point (never the text around it, which may be a name) and printed as
PLACEHOLDER.

Fonts' character maps are read once per process from their cmap tables
(a few milliseconds, no outlines). Ordinary text costs one regular
expression scan: the pass does nothing more when every character is in the
main font.
"""
from __future__ import annotations

import logging
import re
import struct
from array import array
from bisect import bisect_left
from functools import lru_cache
from pathlib import Path

log = logging.getLogger(__name__)

#: drawn for a character no configured font has (GB 2312 “geta mark”, in the main font)
PLACEHOLDER = "\u3013"
#: format characters with no glyph of their own (joiners, variation selectors,
#: BOM): nothing to draw, so they are left out of the drawn text
IGNORABLE = re.compile("[\u200b-\u200d\u2060\ufeff\ufe00-\ufe0f\U000e0100-\U000e01ef]")
#: the family names of the fallback fonts (1, 2, … in PDF_FALLBACK_FONTS order)
FAMILY = "cjkfb{}"

_MARKUP = re.compile(r"(<[^>]*>)")


def read_cmap(path: str | Path) -> array:
    """The sorted code points a TrueType/OpenType font (or the first font of
    a collection) maps to a real glyph, from its cmap table alone."""
    with open(path, "rb") as f:
        def at(offset: int, size: int) -> bytes:
            f.seek(offset)
            return f.read(size)

        cmap_offset, _ = _tables(at)[b"cmap"]
        records = struct.unpack(">HH", at(cmap_offset, 4))[1]
        subtables = {}
        for i in range(records):
            platform, encoding, offset = struct.unpack(">HHI", at(cmap_offset + 4 + 8 * i, 8))
            subtables[(platform, encoding)] = cmap_offset + offset
        # full repertoire (format 12) first, then the BMP-only Unicode map
        for key in ((3, 10), (0, 6), (0, 4), (3, 1), (0, 3)):
            if key in subtables:
                offset = subtables[key]
                kind = struct.unpack(">H", at(offset, 2))[0]
                if kind == 12:
                    return _format12(at, offset)
                if kind == 4:
                    return _format4(at, offset)
    raise ValueError(f"{path}: no Unicode cmap of format 4 or 12")


def table_tags(path: str | Path) -> set[str]:
    """The tables of a font (or of a collection's first font): `glyf` means
    TrueType outlines, which ReportLab embeds; `CFF ` ones it cannot."""
    with open(path, "rb") as f:
        def at(offset: int, size: int) -> bytes:
            f.seek(offset)
            return f.read(size)

        return {tag.decode("latin-1") for tag in _tables(at)}


def _tables(at) -> dict[bytes, tuple[int, int]]:
    """The table directory: tag -> (offset, length)."""
    base = 0
    if at(0, 4) == b"ttcf":
        base = struct.unpack(">I", at(12, 4))[0]
    count = struct.unpack(">H", at(base + 4, 2))[0]
    directory = at(base + 12, 16 * count)
    return {directory[i:i + 4]: struct.unpack(">II", directory[i + 8:i + 16]) for i in range(0, 16 * count, 16)}


def _format12(at, offset: int) -> array:
    groups = struct.unpack(">I", at(offset + 12, 4))[0]
    data = at(offset + 16, 12 * groups)
    codes = array("I")
    for start, end, glyph in struct.iter_unpack(">III", data):
        codes.extend(c for c in range(start, end + 1) if glyph + c - start)
    return codes


def _format4(at, offset: int) -> array:
    length = struct.unpack(">H", at(offset + 2, 2))[0]
    data = at(offset, length)
    segments = struct.unpack(">H", data[6:8])[0] // 2
    ends = struct.unpack(f">{segments}H", data[14:14 + 2 * segments])
    starts_at = 16 + 2 * segments
    starts = struct.unpack(f">{segments}H", data[starts_at:starts_at + 2 * segments])
    deltas = struct.unpack(f">{segments}h", data[starts_at + 2 * segments:starts_at + 4 * segments])
    ranges_at = starts_at + 4 * segments
    range_offsets = struct.unpack(f">{segments}H", data[ranges_at:ranges_at + 2 * segments])
    codes = array("I")
    for i, (start, end, delta, range_offset) in enumerate(zip(starts, ends, deltas, range_offsets)):
        for c in range(start, min(end, 0xFFFE) + 1):
            if range_offset == 0:
                glyph = (c + delta) & 0xFFFF
            else:
                where = ranges_at + 2 * i + range_offset + 2 * (c - start)
                glyph = struct.unpack(">H", data[where:where + 2])[0] if where + 2 <= len(data) else 0
                glyph = (glyph + delta) & 0xFFFF if glyph else 0
            if glyph:
                codes.append(c)
    return array("I", sorted(set(codes)))


def _ranges(codes: array) -> list[tuple[int, int]]:
    ranges: list[tuple[int, int]] = []
    for c in codes:
        if ranges and ranges[-1][1] == c - 1:
            ranges[-1] = (ranges[-1][0], c)
        else:
            ranges.append((c, c))
    return ranges


class FontSet:
    """The main font and its fallbacks, with what each can draw."""

    def __init__(self, main: Path, fallbacks: tuple[Path, ...]):
        self.main, self.fallbacks = main, fallbacks
        self._main = read_cmap(main)
        self._fallbacks = [read_cmap(path) for path in fallbacks]
        # A character needs the slow path when the main font lacks it (control characters are
        # layout, not glyphs). One character class: the scan of ordinary text runs in C.
        covered = "".join(_class_range(a, b) for a, b in _ranges(self._main) if b >= 0x20)
        self.needs_care = re.compile(f"[^\\x00-\\x1f{covered}]")

    def font_for(self, code: int) -> int | None:
        """0 for the main font, i for the i-th fallback, None when none has it."""
        if _has(self._main, code):
            return 0
        for i, codes in enumerate(self._fallbacks, 1):
            if _has(codes, code):
                return i
        return None


def _has(codes: array, code: int) -> bool:
    i = bisect_left(codes, code)
    return i < len(codes) and codes[i] == code


def _class_range(a: int, b: int) -> str:
    return re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"


@lru_cache(maxsize=4)
def font_set(main: Path, fallbacks: tuple[Path, ...]) -> FontSet:
    return FontSet(main, fallbacks)


def with_fallback_fonts(html: str, fonts: FontSet) -> str:
    """The HTML with every run of text the main font lacks set in the first
    fallback font that has it, a character no font has replaced by
    PLACEHOLDER and logged, and glyph-less format characters left out. Text
    before <body> (styles, title) and markup are left alone."""
    body = html.find("<body")
    body = 0 if body < 0 else body
    if fonts.needs_care.search(html, body) is None:
        return html                                  # the fast path: all in the main font
    logged: set[int] = set()
    parts = _MARKUP.split(html[body:])
    for n in range(0, len(parts), 2):                # even items are text, odd ones markup
        if fonts.needs_care.search(parts[n]):
            parts[n] = _wrap(parts[n], fonts, logged)
    return html[:body] + "".join(parts)


def uses(html: str, i: int) -> bool:
    """Whether the HTML sets text in the i-th fallback font."""
    return f'<span style="font-family: {FAMILY.format(i)}">' in html


def _wrap(text: str, fonts: FontSet, logged: set[int]) -> str:
    out: list[str] = []
    run: list[str] = []
    current = 0

    def flush():
        if run:
            chunk = "".join(run)
            out.append(chunk if current == 0 else
                       f'<span style="font-family: {FAMILY.format(current)}">{chunk}</span>')
            run.clear()

    for ch in IGNORABLE.sub("", text):
        code = ord(ch)
        font = 0 if code < 0x20 else fonts.font_for(code)
        if font is None:
            if code not in logged:
                logged.add(code)
                log.error("PDF: no configured font has U+%04X; printed as %s", code, PLACEHOLDER)
            ch, font = PLACEHOLDER, 0
        if font != current:
            flush()
            current = font
        run.append(ch)
    flush()
    return "".join(out)


def to_unicode_cmap(fontname: str, subset: list[int]) -> str:
    """ReportLab's ToUnicode CMap of a font subset, with characters beyond
    the BMP written as UTF-16 surrogate pairs as the PDF format requires
    (ReportLab writes <2B5AE>, which readers drop: Ext. B–H and emoji would
    be missing from the text layer, copy and search)."""
    return "\n".join([
        "/CIDInit /ProcSet findresource begin", "12 dict begin", "begincmap", "/CIDSystemInfo",
        f"<< /Registry ({fontname})", f"/Ordering ({fontname})", "/Supplement 0", ">> def",
        f"/CMapName /{fontname} def", "/CMapType 2 def", "1 begincodespacerange",
        "<00> <%02X>" % (len(subset) - 1), "endcodespacerange", "%d beginbfchar" % len(subset),
        *("<%02X> <%s>" % (i, chr(v).encode("utf-16-be").hex().upper()) for i, v in enumerate(subset)),
        "endbfchar", "endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"])
