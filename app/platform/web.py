"""What every response gets: security headers with a CSP nonce, no caching
of pages with personal data, error pages with an incident number, and logs
with ID and phone numbers masked."""
from __future__ import annotations

import json
import logging
import re
import secrets
import uuid

from flask import g, has_request_context, render_template, request
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


REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9-]{8,64}$")


def request_id() -> str:
    """This request's id: the proxy's X-Request-ID when it sent a sane one,
    else a new one. Every log line of the request carries it, and an error
    page shows it as the incident number."""
    if "request_id" not in g:
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if REQUEST_ID_RE.match(given) else uuid.uuid4().hex[:12].upper()
    return g.request_id


def add_request_id(response):
    response.headers["X-Request-ID"] = request_id()
    return response


STORE_DOWN_TITLE = "服务暂时不可用"
STORE_DOWN_DETAIL = "登录、注册等需要会话的功能暂时无法使用，请稍后重试；证书查询等公开页面不受影响。"


def store_unavailable(exc: Exception | None = None):
    """The shared store (Redis) cannot be reached: 503 with the incident number."""
    incident = request_id()
    log.error("Incident %s on %s %s: session store unreachable (%s)", incident, request.method, request.path,
              type(exc).__name__ if exc else "at session load")
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        return {"ok": False, "message": f"{STORE_DOWN_TITLE}，请稍后重试（事件编号{incident}）",
                "incident": incident}, 503
    return render_template("error.html", code=503, title=STORE_DOWN_TITLE, detail=STORE_DOWN_DETAIL,
                           incident=incident), 503


def handle_unexpected_error(exc: Exception):
    incident = request_id()
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


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record ("-" outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id() if has_request_context() else "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line (LOG_FORMAT=json), for a log collector."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"), "level": record.levelname,
                 "logger": record.name, "request_id": getattr(record, "request_id", "-"),
                 "message": record.getMessage()}
        if record.exc_info:
            entry["exception"] = mask_text(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


TEXT_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"


def install_log_masking(log_format: str = "text") -> None:
    masking = MaskingFilter()
    root = logging.getLogger()
    if not any(isinstance(f, MaskingFilter) for h in root.handlers for f in h.filters):
        if not root.handlers:
            logging.basicConfig(level=logging.INFO, format=TEXT_FORMAT)
        for handler in root.handlers:
            handler.addFilter(RequestIdFilter())
            handler.addFilter(masking)
            if log_format == "json":
                handler.setFormatter(JsonFormatter())
            elif handler.formatter is None or "%(request_id)s" not in (handler.formatter._fmt or ""):
                handler.setFormatter(logging.Formatter(TEXT_FORMAT))
