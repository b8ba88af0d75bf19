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


def printout(declaration_id: int, user_id: int, template: str, **context) -> bytes:
    """The PDF of one declaration's printout: the kept one when the page is
    unchanged, else rendered by the job worker (within the person's limits)
    and kept."""
    html = _page(template, **context)
    fonts = "\0".join(map(str, _fonts()))   # other fonts, another file
    digest = hashlib.sha256(f"{template}\0{fonts}\0{html}".encode()).hexdigest()[:40]
    key = f"pdf{declaration_id}-{digest}.pdf"
    kept = _kept(key)
    if kept is not None:
        return kept
    if kv().add(f"print-pending:{key}", "1", RENDER_LOCK_SECONDS):   # nobody renders this one yet
        lock = f"print-lock:{user_id}"
        if not kv().add(lock, "1", RENDER_LOCK_SECONDS):
            kv().delete(f"print-pending:{key}")
            abort(429, description=BUSY)
        if not allow("print", f"user:{user_id}", current_app.config["PRINT_RATE_LIMIT"]):
            kv().set(lock, "limit", LIMIT_PAUSE_SECONDS)    # refused cheaply for a while
            kv().delete(f"print-pending:{key}")
            abort(429, description=TOO_MANY)
        jobs.enqueue(RENDER_TASK, html, key, f"printout:{declaration_id}:{template}", lock)
    return _wait_for(key)


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
        storage().save(key, _render(html, _fonts()))
        previous = kv().get(pointer)
        kv().set(pointer, key, KEPT_SECONDS)
        if previous and previous != key:
            storage().delete(previous)  # the previous version's file
        state = "ok"
    finally:
        kv().set(f"print-done:{key}", state, RENDER_LOCK_SECONDS)
        kv().delete(f"print-pending:{key}")
        kv().delete(lock)


def render_pdf(template: str, **context) -> bytes:
    """A PDF rendered now, not kept: documents that are not one declaration's
    printout (certificate, 表决结果) and the batch job (which runs off the web workers)."""
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


def _only_the_font(uri: str, font: Path) -> str:
    if uri.startswith("data:") or Path(uri) == font:
        return uri
    return ""  # anything else (file://, http, a path someone typed) is not fetched
