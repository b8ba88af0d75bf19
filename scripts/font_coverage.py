"""How much of the Han repertoire each font covers, block by block: the
figures the PDF font set is chosen by (README, “Fonts”).

    .venv/bin/python scripts/font_coverage.py [FONT ...]

Without arguments it measures the fonts the app is configured with
(PDF_FONT, then PDF_FALLBACK_FONTS) and their union. For each font it says
whether the outlines are TrueType (glyf: ReportLab can embed it) or CFF
(ReportLab cannot). The character maps are read by the same code the PDF
renderer uses (reports/glyphs.py; its figures equal fontTools' getBestCmap
less the code points mapped to glyph 0).
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reports.glyphs import read_cmap, table_tags  # noqa: E402

# Assigned code points of each block in Unicode 15 (inclusive ranges).
BLOCKS = [
    ("GB 18030 double-byte part", None),
    ("CJK Unified Ideographs", [(0x4E00, 0x9FFF)]),
    ("CJK Ext. A", [(0x3400, 0x4DBF)]),
    ("CJK Ext. B", [(0x20000, 0x2A6DF)]),
    ("CJK Ext. C", [(0x2A700, 0x2B739)]),
    ("CJK Ext. D", [(0x2B740, 0x2B81D)]),
    ("CJK Ext. E", [(0x2B820, 0x2CEA1)]),
    ("CJK Ext. F", [(0x2CEB0, 0x2EBE0)]),
    ("CJK Ext. G", [(0x30000, 0x3134A)]),
    ("CJK Ext. H", [(0x31350, 0x323AF)]),
    ("CJK Compatibility Ideographs", [(0xF900, 0xFA6D), (0xFA70, 0xFAD9)]),
    ("CJK Compat. Ideographs Supplement", [(0x2F800, 0x2FA1D)]),
    ("Emoji (U+1F300–1F64F)", [(0x1F300, 0x1F64F)]),
]


def gb18030_double_byte() -> set[int]:
    """Every character of the two-byte (GBK) part that is not private use."""
    found = set()
    for lead in range(0x81, 0xFF):
        for trail in list(range(0x40, 0x7F)) + list(range(0x80, 0xFF)):
            try:
                text = bytes((lead, trail)).decode("gb18030")
            except UnicodeDecodeError:
                continue
            code = ord(text)
            if not 0xE000 <= code <= 0xF8FF:
                found.add(code)
    return found


def repertoire(ranges) -> set[int]:
    if ranges is None:
        return gb18030_double_byte()
    return {c for low, high in ranges for c in range(low, high + 1)}


def load(path: str) -> tuple[set[int], str]:
    """The code points of a font's cmap and its outline format."""
    tags = table_tags(path)
    outlines = "glyf (TrueType)" if "glyf" in tags else ("CFF" if tags & {"CFF ", "CFF2"} else "?")
    return set(read_cmap(path)), outlines


def configured_fonts() -> list[str]:
    from config import Config
    return [Config.PDF_FONT, *Config.PDF_FALLBACK_FONTS]


def main(paths: list[str]) -> None:
    paths = paths or configured_fonts()
    cmaps = {}
    for path in paths:
        if not Path(path).is_file():
            print(f"missing: {path}")
            continue
        cmaps[path], outlines = load(path)
        print(f"{Path(path).name}: {outlines}, {Path(path).stat().st_size / 1e6:.1f} MB")
    union = set().union(*cmaps.values()) if cmaps else set()
    columns = [Path(p).stem[:14] for p in cmaps] + ["all together"]
    print(f"\n{'block':36}{'chars':>7}" + "".join(f"{c:>16}" for c in columns))
    for name, ranges in BLOCKS:
        wanted = repertoire(ranges)
        cells = [len(wanted & cmap) for cmap in cmaps.values()] + [len(wanted & union)]
        print(f"{name:36}{len(wanted):>7}" + "".join(
            f"{n:>8} {100 * n / len(wanted):5.1f}%" for n in cells))


if __name__ == "__main__":
    main(sys.argv[1:])
