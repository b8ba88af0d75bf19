"""HTML to PDF with xhtml2pdf: the CJK font embedded (never a silent fall
back to Helvetica), the characters it lacks set in fallback fonts
(glyphs.py), and a resource policy that lets the renderer read the font and
nothing else — images arrive as data: URIs, and there is no network or file
access for anything a person typed.

Rendering is the heaviest thing a request does (about half a second of CPU),
so a printout is kept in the storage under a digest of its HTML: printed
again while nothing on it changed, it is read back, never rendered again. A
new version replaces the kept file of the previous one.

A printout that must be rendered is rendered by the job worker (the queue's
"print" lane), not by the web worker that asked: the request waits for the
file, holding one thread and no CPU, so a burst of printouts never takes
the CPU that logins need. Without a queue it is rendered in the request.
A person renders one printout at a time and at most PRINT_RATE_LIMIT of
them; a second request for a printout being rendered waits for the same
render."""
from __future__ import annotations

import hashlib
import io
import logging
import threading
import time
from pathlib import Path

from flask import abort, current_app, render_template
from limits import parse_many

from app.platform import jobs
from app.platform.kvstore import kv
from app.platform.ratelimit import allow
from app.platform.storage import storage
from reports import glyphs

log = logging.getLogger(__name__)

#: how long a person's render may hold their print lock (seconds)
RENDER_LOCK_SECONDS = 120
#: after reaching the limit, requests are refused before any work this long
LIMIT_PAUSE_SECONDS = 10
#: how long the pointer to a declaration's kept printout lives
KEPT_SECONDS = 180 * 24 * 3600
BUSY = "您的另一份打印文件正在生成，请稍候几秒再试"
TOO_MANY = "打印过于频繁，请稍后再试"
STILL_RENDERING = "打印文件仍在生成中，请稍后再点击下载"
RENDER_TASK = "reports.render-printout"


class PdfError(RuntimeError):
    pass


def font_path() -> Path:
    path = Path(current_app.config["PDF_FONT"])
    if not path.is_file():
        raise PdfError(f"PDF font {path} is missing: install fonts-wqy-microhei (make system-packages)")
    return path


def fallback_fonts() -> tuple[Path, ...]:
    """The installed PDF_FALLBACK_FONTS. A missing one is logged (once per
    process): the characters only it has then print as the placeholder."""
    found = []
    for name in current_app.config["PDF_FALLBACK_FONTS"]:
        path = Path(name)
        if path.is_file():
            found.append(path)
        elif path not in _reported_missing:
            _reported_missing.add(path)
            log.error("PDF fallback font %s is missing: install it (make system-packages)", path)
    return tuple(found)


_reported_missing: set[Path] = set()


def _page(template: str, **context) -> str:
    """The printout's HTML, every character in a font that has it."""
    font = font_path()
    html = render_template(template, font_url=str(font), for_pdf=True, **context)
    return glyphs.with_fallback_fonts(html, glyphs.font_set(font, fallback_fonts()))


def _fonts() -> tuple[Path, ...]:
    return (font_path(), *fallback_fonts())


def refuse_when_busy(user_id: int) -> None:
    """Called before any work on a printout request: while the person's
    render runs, or after they reached their limit, the answer is 429 at the
    cost of one lookup (a loop of refused requests costs the server nothing)."""
    state = kv().get(f"print-lock:{user_id}")
    if state:
        abort(429, description=TOO_MANY if state == "limit" else BUSY)


def within_print_limit(user_id: int, count: int = 1) -> bool:
    """Count `count` renders against the person's PRINT_RATE_LIMIT (a batch
    counts each of its declarations); past it, their next printout requests
    are refused before any work for a while."""
    if allow("print", f"user:{user_id}", current_app.config["PRINT_RATE_LIMIT"], cost=count):
        return True
    kv().set(f"print-lock:{user_id}", "limit", LIMIT_PAUSE_SECONDS)    # refused cheaply for a while
    return False


def most_in_one_go() -> int:
    """The largest number of printouts PRINT_RATE_LIMIT allows at once (its smallest window)."""
    return min(item.amount for item in parse_many(current_app.config["PRINT_RATE_LIMIT"]))


def _version(owner: int | str, template: str, html: str) -> tuple[str, str]:
    """The storage key of this version of a printout, and the pointer to its owner's kept one."""
    fonts = "\0".join(map(str, _fonts()))   # other fonts, another file
    digest = hashlib.sha256(f"{template}\0{fonts}\0{html}".encode()).hexdigest()[:40]
    return f"pdf{owner}-{digest}.pdf", f"printout:{owner}:{template}"


def printout(owner: int | str, user_id: int, template: str, **context) -> bytes:
    """The PDF of one printout (a declaration's, by its id; another
    document's by a name such as "m12"): the kept one when the page is
    unchanged, else rendered by the job worker (within the person's limits)
    and kept."""
    html = _page(template, **context)
    key, pointer = _version(owner, template, html)
    kept = _kept(key)
    if kept is not None:
        return kept
    if kv().add(f"print-pending:{key}", "1", RENDER_LOCK_SECONDS):   # nobody renders this one yet
        lock = f"print-lock:{user_id}"
        if not kv().add(lock, "1", RENDER_LOCK_SECONDS):
            kv().delete(f"print-pending:{key}")
            abort(429, description=BUSY)
        if not within_print_limit(user_id):
            kv().delete(f"print-pending:{key}")
            abort(429, description=TOO_MANY)
        jobs.enqueue(RENDER_TASK, html, key, pointer, lock)
    return _wait_for(key)


def kept_or_rendered(owner: int | str, template: str, **context) -> bytes:
    """The same printout for work already on the job worker (a batch): the
    kept version when unchanged, else rendered here and kept."""
    html = _page(template, **context)
    key, pointer = _version(owner, template, html)
    kept = _kept(key)
    if kept is None:
        kept = _render(html, _fonts())
        _keep(kept, key, pointer)
    return kept


def _keep(pdf: bytes, key: str, pointer: str) -> None:
    """Keep this version and drop the file of the previous one."""
    storage().save(key, pdf)
    previous = kv().get(pointer)
    kv().set(pointer, key, KEPT_SECONDS)
    if previous and previous != key:
        storage().delete(previous)


def _kept(key: str) -> bytes | None:
    try:
        return storage().read(key)
    except FileNotFoundError:
        return None


def _wait_for(key: str) -> bytes:
    """The rendered file, once the render job says it is done. Polling the
    shared store costs a round trip every few hundred milliseconds and no CPU
    worth counting; past PRINT_WAIT_SECONDS the person is asked to try again
    (the render goes on, and the next click finds the kept file)."""
    deadline = time.monotonic() + current_app.config["PRINT_WAIT_SECONDS"]
    pause = 0.02
    while True:
        state = kv().get(f"print-done:{key}")
        if state == "ok":
            kept = _kept(key)
            if kept is not None:
                return kept
        elif state == "failed":
            raise PdfError("PDF rendering failed in the job worker")
        if time.monotonic() >= deadline:
            abort(503, description=STILL_RENDERING)
        time.sleep(pause)
        pause = min(pause * 2, 0.25)


@jobs.task(RENDER_TASK, retries=0, keep_failed=60, lane="print")
def render_printout(html: str, key: str, pointer: str, lock: str) -> None:
    """Render, keep the file, replace the previous version's, and say so to
    whoever waits (`print-done:<key>`). The HTML carries a full ID number,
    so a failed job is kept only a minute."""
    state = "failed"
    try:
        _keep(_render(html, _fonts()), key, pointer)
        state = "ok"
    finally:
        kv().set(f"print-done:{key}", state, RENDER_LOCK_SECONDS)
        kv().delete(f"print-pending:{key}")
        kv().delete(lock)


def render_pdf(template: str, **context) -> bytes:
    """A PDF rendered now, not kept. A person's request asks printout()
    instead (kept by version, counted, rendered on the job worker)."""
    return _render(_page(template, **context), _fonts())


def warm_up() -> None:
    """Load the renderer and parse the CJK font once, in the job worker
    before it forks a work horse per job: every horse starts with both
    instead of paying for them on each printout."""
    font = font_path()
    _render(f'<html><head><style>@font-face {{ font-family: cjk; src: url("{font}"); }} '
            f'body {{ font-family: cjk; }}</style></head><body>职称申报</body></html>', (font,))


def _render(html: str, fonts: tuple[Path, ...]) -> bytes:
    # xhtml2pdf (~20 MB) is loaded where printouts are rendered: the job
    # worker, not every web worker (#13: memory)
    from reportlab.pdfbase import ttfonts
    from xhtml2pdf import pisa
    from xhtml2pdf.config.resources import ResourceAccessPolicy

    _keep_line_breaks_in_cjk_text()
    ttfonts.makeToUnicodeCMap = glyphs.to_unicode_cmap   # text layer of characters beyond the BMP

    font, *fallbacks = fonts
    _register_fallbacks(html, fallbacks)

    policy = ResourceAccessPolicy.server(base_dir=str(font.parent), extra_roots=(str(font.parent),),
                                         allow_remote=False, max_render_seconds=120)
    out = io.BytesIO()
    result = pisa.CreatePDF(html, dest=out, encoding="utf-8", resource_policy=policy,
                            link_callback=lambda uri, rel: _only_the_font(uri, font))
    if result.err:
        raise PdfError(f"PDF rendering failed with {result.err} error(s)")
    return out.getvalue()


def _register_fallbacks(html: str, fallbacks: list[Path]) -> None:
    """Make the fallback fonts the document uses known to the renderer under
    their family names: registered with ReportLab once per process, when a
    document first needs one. Not by @font-face: xhtml2pdf would read and
    hash the whole file (HanaMinB 31 MB, BabelStoneHan 51 MB) on every
    render; ordinary documents use none and pay nothing."""
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from xhtml2pdf import default

    for i, path in enumerate(fallbacks, 1):
        if not glyphs.uses(html, i):
            continue
        family = glyphs.FAMILY.format(i)
        name = f"{family}-{hashlib.sha256(str(path).encode()).hexdigest()[:8]}"
        with _registering:
            if name not in pdfmetrics.getRegisteredFontNames():
                pdfmetrics.registerFont(TTFont(name, str(path)))
                for bold in (0, 1):          # no bold or italic faces: the regular one draws them
                    for italic in (0, 1):
                        addMapping(name, bold, italic, name)
            default.DEFAULT_FONT[family] = name


_registering = threading.Lock()


def _keep_line_breaks_in_cjk_text() -> None:
    """xhtml2pdf's line breaker for Chinese text (`-pdf-word-wrap: CJK`)
    skips every <br>, so lines a person typed (numbered achievements, a work
    history) print as one block. Break the text at each <br> first and let
    the breaker wrap each piece; a blank line stays a blank line."""
    from xhtml2pdf import reportlab_paragraph as rp

    split = rp.cjkFragSplit
    if getattr(split, "keeps_line_breaks", False):
        return

    def split_at_breaks(frags, maxWidths, calcBounds, encoding="utf8"):
        if not any(hasattr(f, "lineBreak") for f in frags):
            return split(frags, maxWidths, calcBounds, encoding)
        widths = list(maxWidths) if isinstance(maxWidths, (list, tuple)) else [maxWidths]
        pieces, current = [], []
        for f in frags:
            if not hasattr(f, "lineBreak"):
                current.append(f)
                continue
            if f.text:
                current.append(_without_break(f, f.text))
            pieces.append(current or [_without_break(f, " ")])
            current = []
        if current:
            pieces.append(current)
        lines = []
        for piece in pieces:
            lines += split(piece, widths[min(len(lines), len(widths) - 1):], calcBounds, encoding).lines
        return rp.ParaLines(kind=1, lines=lines)

    split_at_breaks.keeps_line_breaks = True
    rp.cjkFragSplit = split_at_breaks


def _without_break(frag, text: str):
    piece = frag.clone(text=text)
    if hasattr(piece, "lineBreak"):
        del piece.lineBreak
    return piece


def _only_the_font(uri: str, font: Path) -> str:
    if uri.startswith("data:") or Path(uri) == font:
        return uri
    return ""  # anything else (file://, http, a path someone typed) is not fetched
