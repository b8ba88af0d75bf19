"""What every response gets: security headers with a CSP nonce, no caching
of pages with personal data, error pages with an incident number, and logs
with ID and phone numbers masked."""
from __future__ import annotations

import logging
import secrets
import uuid

from flask import g, render_template, request
from werkzeug.exceptions import HTTPException

from models.identity import mask_text

log = logging.getLogger("app.errors")

ERROR_TITLES = {
    400: "请求有误",
    403: "没有权限访问该页面",
    404: "页面不存在",
    405: "不支持的请求方式",
    413: "上传的内容过大",
    429: "操作过于频繁，请稍后再试",
}


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def add_security_headers(response):
    nonce = g.get("csp_nonce")
    script = f"'self' 'nonce-{nonce}'" if nonce else "'self'"
    if request.path.startswith("/admin/"):
        # Flask-Admin's templates confirm deletions with inline onclick
        # handlers; the administrators' back-office alone allows them.
        script = "'self' 'unsafe-inline'"
    response.headers.setdefault(
        "Content-Security-Policy",
        f"default-src 'self'; script-src {script}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; "
        "form-action 'self'; frame-ancestors 'self'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    # Pages carry personal data; only static assets may be cached.
    if not (request.endpoint or "").endswith("static"):
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    return response


def handle_http_error(exc: HTTPException):
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        return {"ok": False, "message": ERROR_TITLES.get(exc.code, exc.name)}, exc.code
    title = ERROR_TITLES.get(exc.code, "请求未能完成")
    detail = exc.description if exc.code in (400, 404, 429) and _is_chinese(exc.description) else ""
    return render_template("error.html", code=exc.code, title=title, detail=detail), exc.code


def handle_unexpected_error(exc: Exception):
    incident = uuid.uuid4().hex[:12].upper()
    log.exception("Incident %s on %s %s", incident, request.method, request.path)
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        return {"ok": False, "message": f"系统出现错误，事件编号{incident}", "incident": incident}, 500
    return render_template("error.html", code=500, title="系统出现错误", incident=incident), 500


def _is_chinese(text) -> bool:
    return bool(text) and any("\u4e00" <= c <= "\u9fff" for c in str(text))


class MaskingFilter(logging.Filter):
    """Logs never show full ID numbers or phone numbers (V7.1.1)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            try:
                record.msg = record.getMessage()
            except (TypeError, ValueError):
                return True
            record.args = None
        record.msg = mask_text(str(record.msg)).replace("\n", "\\n").replace("\r", "\\r")
        return True


def install_log_masking() -> None:
    masking = MaskingFilter()
    root = logging.getLogger()
    if not any(isinstance(f, MaskingFilter) for h in root.handlers for f in h.filters):
        if not root.handlers:
            logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        for handler in root.handlers:
            handler.addFilter(masking)
