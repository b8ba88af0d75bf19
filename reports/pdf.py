"""HTML to PDF with xhtml2pdf: the CJK font embedded (never a silent fall
back to Helvetica), and a resource policy that lets the renderer read the
font and nothing else — images arrive as data: URIs, and there is no
network or file access for anything a person typed.

Rendering is the heaviest thing a request does (about half a second of CPU),
so a printout is kept in the storage under a digest of its HTML: printed
again while nothing on it changed, it is read back, never rendered again. A
new version replaces the kept file of the previous one. A person renders one
printout at a time and at most PRINT_RATE_LIMIT of them, so nobody can keep
every worker busy (logins stay fast)."""
from __future__ import annotations

import hashlib
import io
from pathlib import Path

from flask import abort, current_app, render_template
from xhtml2pdf import pisa
from xhtml2pdf.config.resources import ResourceAccessPolicy

from app.platform.kvstore import kv
from app.platform.ratelimit import allow
from app.platform.storage import storage

#: how long a person's render may hold their print lock (seconds)
RENDER_LOCK_SECONDS = 120
#: how long the pointer to a declaration's kept printout lives
KEPT_SECONDS = 180 * 24 * 3600
BUSY = "您的另一份打印文件正在生成，请稍候几秒再试"
TOO_MANY = "打印过于频繁，请稍后再试"


class PdfError(RuntimeError):
    pass


def font_path() -> Path:
    path = Path(current_app.config["PDF_FONT"])
    if not path.is_file():
        raise PdfError(f"PDF font {path} is missing: install fonts-wqy-microhei (make system-packages)")
    return path


def printout(declaration_id: int, user_id: int, template: str, **context) -> bytes:
    """The PDF of one declaration's printout: the kept one when the page is
    unchanged, else rendered (within the person's limits) and kept."""
    font = font_path()
    html = render_template(template, font_url=str(font), for_pdf=True, **context)
    digest = hashlib.sha256(f"{template}\0{font}\0{html}".encode()).hexdigest()[:40]
    key = f"pdf{declaration_id}-{digest}.pdf"
    try:
        return storage().read(key)
    except FileNotFoundError:
        pass
    lock = f"print-lock:{user_id}"
    if not kv().add(lock, "1", RENDER_LOCK_SECONDS):
        abort(429, description=BUSY)
    try:
        if not allow("print", f"user:{user_id}", current_app.config["PRINT_RATE_LIMIT"]):
            abort(429, description=TOO_MANY)
        pdf = _render(html, font)
    finally:
        kv().delete(lock)
    storage().save(key, pdf)
    pointer = f"printout:{declaration_id}:{template}"
    previous = kv().get(pointer)
    kv().set(pointer, key, KEPT_SECONDS)
    if previous and previous != key:
        storage().delete(previous)  # the previous version's file
    return pdf


def render_pdf(template: str, **context) -> bytes:
    """A PDF rendered now, not kept: documents that are not one declaration's
    printout (certificate, 表决结果) and the batch job (which runs off the web workers)."""
    font = font_path()
    return _render(render_template(template, font_url=str(font), for_pdf=True, **context), font)


def _render(html: str, font: Path) -> bytes:
    policy = ResourceAccessPolicy.server(base_dir=str(font.parent), extra_roots=(str(font.parent),),
                                         allow_remote=False, max_render_seconds=120)
    out = io.BytesIO()
    result = pisa.CreatePDF(html, dest=out, encoding="utf-8", resource_policy=policy,
                            link_callback=lambda uri, rel: _only_the_font(uri, font))
    if result.err:
        raise PdfError(f"PDF rendering failed with {result.err} error(s)")
    return out.getvalue()


def _only_the_font(uri: str, font: Path) -> str:
    if uri.startswith("data:") or Path(uri) == font:
        return uri
    return ""  # anything else (file://, http, a path someone typed) is not fetched
