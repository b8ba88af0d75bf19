"""The one check every printout passes: all the text given to it is on the
paper (found in the PDF's extracted text, by pypdf and by pdftotext -raw), and no
word lies outside the page box (pdftotext -bbox)."""
from __future__ import annotations

import io
import os
import re
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree

from pypdf import PdfReader


def squeeze(s: str) -> str:
    return re.sub(r"\s+", "", s)


def pypdf_text(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


class _Texts(HTMLParser):
    """Text nodes inside the printed sheet (the preview's toolbar and the
    page footer are not part of the content)."""

    SKIP = {"style", "script", "title"}

    def __init__(self):
        super().__init__()
        self.texts, self._skip, self._stack = [], 0, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        skip = tag in self.SKIP or attrs.get("class") == "toolbar" or attrs.get("id") == "page-footer"
        if tag not in ("img", "br", "meta", "link", "input", "hr"):
            self._stack.append(skip)
            self._skip += skip

    def handle_endtag(self, tag):
        if tag not in ("img", "br", "meta", "link", "input", "hr") and self._stack:
            self._skip -= self._stack.pop()

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.texts.append(data.strip())


def html_texts(html: str) -> list[str]:
    parser = _Texts()
    parser.feed(html)
    return parser.texts


def _pdftotext(pdf: bytes, *options: str) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "in.pdf"
        source.write_bytes(pdf)
        return subprocess.run(["pdftotext", *options, str(source), "-"], capture_output=True, check=True).stdout


def words_with_boxes(pdf: bytes) -> list[tuple[int, float, float, str, tuple[float, float, float, float]]]:
    """(page, width, height, word, (xMin, yMin, xMax, yMax)) for every word pdftotext sees."""
    out = _pdftotext(pdf, "-bbox")
    root = ElementTree.fromstring(re.sub(rb"<!DOCTYPE[^>]*>", b"", out).replace(
        b' xmlns="http://www.w3.org/1999/xhtml"', b""))
    words = []
    for n, page in enumerate(root.iter("page"), 1):
        width, height = float(page.get("width")), float(page.get("height"))
        for word in page.iter("word"):
            box = tuple(float(word.get(k)) for k in ("xMin", "yMin", "xMax", "yMax"))
            words.append((n, width, height, word.text or "", box))
    return words


def check_printout(pdf: bytes, texts, name: str = "printout") -> None:
    dump = os.environ.get("PRINTOUT_DIR")
    if dump:
        Path(dump, f"{name}.pdf").write_bytes(pdf)
    words = words_with_boxes(pdf)
    outside = [(n, w, box) for n, width, height, w, box in words
               if box[0] < -0.5 or box[1] < -0.5 or box[2] > width + 0.5 or box[3] > height + 0.5]
    assert not outside, f"{name}: text outside the page: {outside[:5]}"
    # In content order (-raw): a cell's wrapped lines stay together.
    extracted = (squeeze(pypdf_text(pdf)), squeeze(_pdftotext(pdf, "-raw").decode()))
    missing = [t for t in (squeeze(t) for t in texts) if t and not all(t in e for e in extracted)]
    assert not missing, f"{name}: not on paper: {missing[:10]}"
