"""HTML to PDF with xhtml2pdf: the CJK font embedded (never a silent fall
back to Helvetica), and a resource policy that lets the renderer read the
font and nothing else — images arrive as data: URIs, and there is no
network or file access for anything a person typed."""
from __future__ import annotations

import io
from pathlib import Path

from flask import current_app, render_template
from xhtml2pdf import pisa
from xhtml2pdf.config.resources import ResourceAccessPolicy


class PdfError(RuntimeError):
    pass


def font_path() -> Path:
    path = Path(current_app.config["PDF_FONT"])
    if not path.is_file():
        raise PdfError(f"PDF font {path} is missing: install fonts-wqy-microhei (make system-packages)")
    return path


def render_pdf(template: str, **context) -> bytes:
    font = font_path()
    html = render_template(template, font_url=str(font), for_pdf=True, **context)
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
