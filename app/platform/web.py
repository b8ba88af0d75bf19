"""What every response gets: security headers with a CSP nonce, no caching
of pages with personal data, error pages with an incident number, and logs
with ID and phone numbers masked."""
from __future__ import annotations

import json
import logging
import re
import secrets
import uuid

from urllib.parse import urlsplit

from flask import abort, current_app, g, has_request_context, render_template, request, session
from markupsafe import Markup, escape
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

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


# Database integers are 32-bit on every table here (#10 item 8).
MAX_ID = 2**31 - 1
NUMERIC_ARGS = ("page", "year", "unit", "pk", "id", "psize", "job", "row")


class BoundedIntConverter(IntegerConverter):
    """`<int:…>` that matches only values a database column can hold, so a
    30-digit id is a 404, never an overflow deep in the driver."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def _out_of_range(value: str) -> bool:
    return value.isascii() and value.isdigit() and (len(value) > 10 or int(value) > MAX_ID)


def reject_out_of_range_numbers():
    """Crafted huge numbers in a path (FAB's `<pk>`) give 404, in the query
    string (page=, year=, unit=, FAB's page_<view>=) 400 with a message."""
    for value in (request.view_args or {}).values():
        if isinstance(value, str) and _out_of_range(value):
            abort(404)
    for name, value in request.args.items(multi=True):
        base = name.split("_", 1)[0] if not name.startswith("_") else name
        if (base in NUMERIC_ARGS or name in NUMERIC_ARGS) and _out_of_range(value.strip()):
            abort(400, description="参数超出范围")


def is_local_path(target: str | None) -> bool:
    """Only a path on this site: no scheme, no host, no `//` or `/\\` tricks (#10 item 13)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return False
    parts = urlsplit(target.replace("\\", "/"))
    return not parts.scheme and not parts.netloc and not any(ord(c) < 32 for c in target)


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
    if g.get("request_id"):
        response.headers["X-Request-Id"] = g.request_id
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
    title = ERROR_TITLES.get(exc.code, "请求未能完成")
    if exc.code == 413:
        title = _too_large()
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        return {"ok": False, "message": title if title != "请求未能完成" else exc.name}, exc.code
    detail = exc.description if exc.code in (400, 404, 429, 503) and _is_chinese(exc.description) else ""
    return render_template("error.html", code=exc.code, title=title, detail=detail), exc.code


def handle_expired_form(exc):
    """A form sent after the session (and with it the CSRF token) expired.
    Nothing was saved; the page's own script kept what was typed in the
    browser, and restores it when the person is back on that page. Say so,
    and where to sign in again."""
    signed_in = bool(session.get("_user_id"))
    title = "页面已过期" if signed_in else "登录已超时"
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json" or \
            request.headers.get("X-Requested-With"):
        message = ("页面已过期，请刷新页面后重试" if signed_in else
                   "登录已超时，本次操作未完成。请重新登录后再试，已填写的内容保留在本页")
        return {"ok": False, "message": message, "expired": True}, 400
    back = _form_page()
    return render_template("error.html", code=400, title=title, expired=True, signed_in=signed_in, back=back,
                           idle=current_app.config.get("SESSION_IDLE_MINUTES", 30)), 400


def _form_page() -> str:
    """The page the form was on (same site only), to return to after signing in."""
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc and referrer.netloc != request.host:
        return "/"
    path = referrer.path or request.path
    if not path.startswith("/") or path.startswith("//"):
        return "/"
    return path + (f"?{referrer.query}" if referrer.query else "")


REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9-]{8,32}$")


def request_id() -> str:
    """This request's id: the proxy's X-Request-ID when it sent a sane one,
    else a new one. Every log line of the request carries it, and an error
    page shows it as the incident number."""
    if "request_id" not in g:
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if REQUEST_ID_RE.match(given) else uuid.uuid4().hex[:16].upper()
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


def _too_large() -> str:
    """413 says the limit (a photo of UPLOAD_MAX_BYTES passes)."""
    limit = current_app.config.get("UPLOAD_MAX_BYTES") or current_app.config.get("MAX_CONTENT_LENGTH") or 0
    return f"上传的内容过大：每个文件不能超过{limit // (1024 * 1024)}MB" if limit else ERROR_TITLES[413]


def _is_chinese(text) -> bool:
    return bool(text) and any("\u4e00" <= c <= "\u9fff" for c in str(text))


SQL_PARAMETERS_RE = re.compile(r"\[parameters: .*?\](?=\n|$|\s*\(Background)", re.S)


def mask_log_text(text: str) -> str:
    """IDs and phones masked, SQL parameters (passwords, hashes, codes) dropped,
    newlines encoded so one record stays one line (V7.1.1, V7.3.1)."""
    text = SQL_PARAMETERS_RE.sub("[parameters: hidden]", text)
    return mask_text(text)


class MaskingFilter(logging.Filter):
    """Logs never show full ID numbers or phone numbers (V7.1.1)."""

    def filter(self, record: logging.LogRecord) -> bool:
        _mask_record(record)
        return True


def _mask_record(record: logging.LogRecord) -> logging.LogRecord:
    if getattr(record, "_masked", False):
        return record
    if record.args:
        try:
            record.msg = record.getMessage()
        except (TypeError, ValueError):
            return record
        record.args = None
    record.msg = mask_log_text(str(record.msg)).replace("\n", "\\n").replace("\r", "\\r")
    if record.exc_info and not record.exc_text:
        # The traceback's text (exception messages, SQL and its parameters)
        # is formatted and masked here, before any handler prints it.
        record.exc_text = mask_log_text(logging.Formatter().formatException(record.exc_info))
    elif record.exc_text:
        record.exc_text = mask_log_text(record.exc_text)
    if record.stack_info:
        record.stack_info = mask_log_text(record.stack_info)
    record._masked = True
    return record


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
    """Mask at the source (every record, whatever handler is added later) and
    on the root handlers; every line carries the request id."""
    factory = logging.getLogRecordFactory()
    if not getattr(factory, "masks", False):
        def masked_factory(*args, **kwargs):
            return _mask_record(factory(*args, **kwargs))

        masked_factory.masks = True
        logging.setLogRecordFactory(masked_factory)
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


#: links kept per worker (about 1 MB)
LINKS_KEPT = 5000


def install_link_cache(app) -> None:
    """A page builds some 50–70 links (Flask-AppBuilder's base layout alone
    18 to static files; a reviewer's list one per row, per sort column, per
    page). A link depends only on its endpoint, its values and where the
    application is mounted, so templates build each one once per worker and
    look it up afterwards. Links with options (`_external`, `_anchor` …),
    relative endpoints, values that cannot be a key and long links are built
    each time."""
    build = app.url_for
    built: dict[tuple, str] = {}

    def url_for(endpoint: str, **values) -> str:
        if app.url_default_functions or endpoint.startswith(".") or not has_request_context():
            return build(endpoint, **values)
        try:
            key = (endpoint, request.script_root, *sorted(values.items()))
            url = built.get(key)
        except TypeError:   # a list among the values
            return build(endpoint, **values)
        if url is None:
            url = build(endpoint, **values)
            if len(url) > 300 or any(name.startswith("_") for name in values):
                return url   # options, or a long query string copied from the request: not kept
            if len(built) >= LINKS_KEPT:   # one per row of every list page seen: start again
                built.clear()
            built[key] = url
        return url

    app.jinja_env.globals["url_for"] = url_for


def text_lines(value) -> Markup:
    """Text a person typed on several lines (numbered achievements, a work
    history, an opinion), for a page or a printout: escaped first, then each
    line break (\\r\\n, \\r or \\n) becomes <br>, so the lines stay lines and
    nothing typed is ever read as markup."""
    if value is None:
        return Markup("")
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return Markup("<br>\n").join(escape(line) for line in text.split("\n"))
