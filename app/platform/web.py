"""What every response gets: security headers with a CSP nonce, no caching
of pages with personal data, error pages with an incident number, and logs
with ID and phone numbers masked."""
from __future__ import annotations

import json
import logging
import re
import secrets
import time
import uuid

from urllib.parse import urlsplit, urlunsplit

from flask import abort, current_app, g, has_request_context, redirect, request, session
from markupsafe import Markup, escape
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter
from werkzeug.sansio.utils import host_is_trusted

from models import clock
from models.identity import CONTROL_CHARACTER_MESSAGE, has_control_characters, mask_text

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


def checks_text_fields(view):
    """Marks a page whose form says itself, beside each field, that control
    characters are refused (a WTForms form, the declaration's registry
    fields, a search box with its own message): `refuse_control_characters`
    lets its form posts through to it."""
    view.checks_text_fields = True
    return view


#: Flask-AppBuilder's and Flask-Admin's generated forms (WTForms), by view
#: class and method: their fields refuse control characters themselves
def _generated_forms():
    from flask_admin.model import BaseModelView
    from flask_appbuilder.baseviews import BaseCRUDView, BaseFormView

    return ((BaseCRUDView, ("add", "edit")), (BaseFormView, ("this_form_post",)),
            (BaseModelView, ("create_view", "edit_view")))


def _form_checks_itself() -> bool:
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "checks_text_fields", False):
        return True
    owner, name = getattr(view, "__self__", None), getattr(view, "__name__", "")
    return any(isinstance(owner, cls) and name in names for cls, names in _generated_forms())


def _json_with_control_characters(document) -> str | None:
    """The name of the first member of a JSON document holding a control
    character (in its name or its text), or None."""
    stack = [("", document)]
    while stack:
        name, value = stack.pop()
        if isinstance(value, str):
            if has_control_characters(value):
                return name or "请求体"
        elif isinstance(value, dict):
            for key, item in value.items():
                if has_control_characters(key):
                    return "字段名"
                stack.append((key, item))
        elif isinstance(value, list):
            stack.extend((name, item) for item in value)
    return None


def refuse_control_characters():
    """No control character reaches the application (one rule: models.identity):
    a query-string parameter or a JSON member holding one is answered 400 with
    the parameter named, as is a form post — except to a page whose form says
    so beside the field itself (`checks_text_fields`, the generated forms)."""
    if any(has_control_characters(v) for v in (request.view_args or {}).values()):
        abort(404)
    for name, value in request.args.items(multi=True):
        if has_control_characters(name) or has_control_characters(value):
            return _refused("查询条件" if has_control_characters(name) else name)
    if request.is_json:
        name = _json_with_control_characters(request.get_json(silent=True))
        if name is not None:
            return _refused(name)
    elif request.method == "POST" and request.form and not _form_checks_itself():
        for name, value in request.form.items(multi=True):
            if has_control_characters(name) or has_control_characters(value):
                return _refused("表单字段" if has_control_characters(name) else name)
    return None


def _refused(name: str):
    message = f"{name[:30]}：{CONTROL_CHARACTER_MESSAGE}"
    if request.path.startswith("/api/") or request.is_json or request.accept_mimetypes.best == "application/json":
        return {"message": message}, 400
    abort(400, description=message)


def install_text_field_check() -> None:
    """Every WTForms text field — our forms, Flask-AppBuilder's and
    Flask-Admin's generated ones — refuses control characters with the message
    beside the field, before its own validators run (a uniqueness check would
    send the value to the database). Installed once, on the field class all
    text, text-area, password and search fields share."""
    from wtforms.fields import StringField
    from wtforms.validators import StopValidation

    if getattr(StringField, "refuses_control_characters", False):
        return
    own_pre_validate = StringField.pre_validate

    def pre_validate(self, form):
        if any(has_control_characters(v) for v in (self.raw_data or [])) or has_control_characters(self.data):
            raise StopValidation(CONTROL_CHARACTER_MESSAGE)
        own_pre_validate(self, form)

    StringField.pre_validate = pre_validate
    StringField.refuses_control_characters = True


def is_local_path(target: str | None) -> bool:
    """Only a path on this site: no scheme, no host, no `//` or `/\\` tricks (#10 item 13)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return False
    parts = urlsplit(target.replace("\\", "/"))
    return not parts.scheme and not parts.netloc and not _has_control(target)


def _has_control(text: str) -> bool:
    return any(ord(c) < 32 or ord(c) == 127 for c in text)


# --- the public address: absolute links, accepted hosts, redirects ----------

def public_base_url(config) -> str:
    """PUBLIC_BASE_URL checked and without its trailing slash; a clear error
    when it is missing (production) or is not an http(s) address."""
    value = (config.get("PUBLIC_BASE_URL") or "").strip()
    if not value:
        raise RuntimeError("PUBLIC_BASE_URL must be set when ENV=production: the address people open the system "
                           "at, e.g. https://zc.example.gov.cn (QR codes and links are built from it)")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment \
            or parts.username or _has_control(value):
        raise RuntimeError(f"PUBLIC_BASE_URL must be an http(s) address such as https://zc.example.gov.cn, "
                           f"not {value!r}")
    return value.rstrip("/")


def public_url(endpoint: str, **values) -> str:
    """An absolute link to one of this system's pages, made from
    PUBLIC_BASE_URL only: the same in a web request (whatever its Host
    header says) and on the job worker (which has no request)."""
    base = urlsplit(current_app.config["PUBLIC_BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)
    return adapter.build(endpoint, values, force_external=True)


def allowed_hosts(config) -> list[str]:
    """The host names this system answers to: PUBLIC_BASE_URL's and EXTRA_ALLOWED_HOSTS."""
    extra = [h.strip().lower() for h in (config.get("EXTRA_ALLOWED_HOSTS") or "").split(",") if h.strip()]
    return [urlsplit(config["PUBLIC_BASE_URL"]).hostname.lower(), *extra]


#: the load balancer probes each instance by its own address: these answer whatever the Host
HOST_CHECK_EXEMPT = {"healthz", "readyz"}
UNKNOWN_HOST = "访问地址不正确，请使用本系统的正式网址访问"


def refuse_unknown_host():
    """With REFUSE_UNKNOWN_HOSTS (production), a request whose Host is not
    one of allowed_hosts() answers 400: nothing this system builds or
    redirects to may follow a Host that someone else chose."""
    if not current_app.config.get("REFUSE_UNKNOWN_HOSTS") or request.endpoint in HOST_CHECK_EXEMPT:
        return None
    if not host_is_trusted(request.host.lower(), allowed_hosts(current_app.config)):
        log.warning("Refused a request for the unknown host %r", request.host[:100])
        abort(400, description=UNKNOWN_HOST)
    return None


def _own_host(netloc: str) -> bool:
    netloc = netloc.lower()
    if has_request_context() and netloc == request.host.lower():
        return True
    return host_is_trusted(netloc, allowed_hosts(current_app.config)) if "@" not in netloc else False


def stays_on_site(target: str | None) -> bool:
    """A redirect target that opens a page of this site: a path (absolute or
    relative) or an http(s) link to this site's own host — never another
    host, `//host`, `/\\host`, `javascript:` or a control character."""
    if not target or _has_control(target) or target != target.strip():
        return False
    normalised = target.replace("\\", "/")     # browsers read a backslash as a slash
    parts = urlsplit(normalised)
    if not parts.scheme and not parts.netloc:
        return not normalised.startswith("//")   # `///host` is a host too
    return parts.scheme in ("http", "https") and bool(parts.netloc) and _own_host(parts.netloc)


def local_url(target: str | None, fallback: str = "/") -> str:
    """Where to send someone who asked for `target` (a `next=`, a Referer, a
    form's `back`): its path on this site when it stays on this site, else
    `fallback`."""
    if is_local_path(target):
        return target
    if target and stays_on_site(target):
        parts = urlsplit(target.replace("\\", "/"))
        if parts.scheme:
            path = urlunsplit(("", "", parts.path or "/", parts.query, parts.fragment))
            if is_local_path(path):
                return path
    return fallback


def safe_redirect(target: str | None, fallback: str = "/"):
    """A redirect to `target` when it stays on this site, else to `fallback`
    (which the caller builds with url_for)."""
    return redirect(local_url(target, fallback))


def keep_redirects_local(response):
    """Every redirect the application answers — its own, Flask-AppBuilder's,
    Flask-Admin's — leaves only for a page of this site; any other target
    becomes the home page."""
    location = response.headers.get("Location") if 300 <= response.status_code < 400 else None
    if location is not None and not stays_on_site(location):
        log.warning("Redirect to %r replaced by the home page", location[:200])
        response.headers["Location"] = "/"
    return response


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


def error_page(code: int, **context) -> str:
    """The error page, rendered without the template context processors:
    Flask-Login's would load the signed-in account from the database — the
    very service that may be down — and a second failure while answering the
    first left people with Flask's bare English page. The page needs nothing
    of that; should it still fail, a fixed Chinese page keeps the incident
    number."""
    try:
        return current_app.jinja_env.get_template("error.html").render(code=code, **context)
    except Exception:  # noqa: BLE001 - the answer to a failure must not fail itself
        log.exception("The error page could not be rendered")
        title = escape(context.get("title") or "请求未能完成")
        incident = context.get("incident")
        number = f"<p>事件编号：<strong id=\"incident\">{escape(incident)}</strong></p>" if incident else ""
        return (f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title></head>'
                f'<body><h1>{title}</h1>{number}<p><a href="/">返回首页</a></p></body></html>')


def handle_http_error(exc: HTTPException):
    if exc.code == 500 and getattr(exc, "original_exception", None) is not None:
        # An error outside every handler (e.g. while opening the session): said with its incident number.
        return handle_unexpected_error(exc.original_exception)
    title = ERROR_TITLES.get(exc.code, "请求未能完成")
    if exc.code == 413:
        title = _too_large()
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        return {"ok": False, "message": title if title != "请求未能完成" else exc.name}, exc.code
    detail = exc.description if exc.code in (400, 404, 429, 503) and _is_chinese(exc.description) else ""
    return error_page(exc.code, title=title, detail=detail), exc.code


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
    return error_page(400, title=title, expired=True, signed_in=signed_in, back=back,
                      idle=current_app.config.get("SESSION_IDLE_MINUTES", 30)), 400


def _form_page() -> str:
    """The page the form was on (same site only), to return to after signing in."""
    return local_url(request.referrer) if request.referrer else local_url(request.path)


class _CountedInput:
    """The request body as the application reads it, counting the bytes."""

    def __init__(self, stream):
        self.stream, self.taken = stream, 0

    def read(self, *args):
        data = self.stream.read(*args)
        self.taken += len(data)
        return data

    def read1(self, *args):
        data = self.stream.read1(*args)
        self.taken += len(data)
        return data

    def readinto(self, buffer):   # Werkzeug's LimitedStream reads this way when it can
        reader = getattr(self.stream, "readinto", None)
        if reader is None:   # gunicorn's Body has none
            data = self.stream.read(len(buffer))
            buffer[:len(data)] = data
            n = len(data)
        else:
            n = reader(buffer) or 0
        self.taken += n
        return n

    def readline(self, *args):
        data = self.stream.readline(*args)
        self.taken += len(data)
        return data

    def __iter__(self):
        return iter(self.readline, b"")

    def __getattr__(self, name):   # anything else the server's stream offers (close …)
        return getattr(self.stream, name)


class DrainUnreadBody:
    """A request answered before its body was read (503 while a store is
    down, 413, 429, a refused CSRF token …) has its body read to the end,
    up to `limit` bytes, before the answer goes out. Left on the connection,
    the body made the server close a connection it had just called
    kept-alive, and the proxy sent the next request into it: a bare 502.
    A body above the limit is not read: the server is told to close the
    connection instead (gunicorn.conf.py, pre_request)."""

    CHUNK = 256 * 1024
    SECONDS = 10

    def __init__(self, wsgi_app, limit: int):
        self.wsgi_app, self.limit = wsgi_app, limit

    def __call__(self, environ, start_response):
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length <= 0 or length > self.limit or "wsgi.input" not in environ:
            return self.wsgi_app(environ, start_response)
        body = environ["wsgi.input"] = _CountedInput(environ["wsgi.input"])

        def start(status, headers, exc_info=None):
            self._drain(body, length)
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, start)

    def _drain(self, body: _CountedInput, length: int) -> None:
        deadline = time.monotonic() + self.SECONDS
        try:
            while body.taken < length and time.monotonic() < deadline:
                if not body.read(min(self.CHUNK, length - body.taken)):
                    break   # the client stopped sending: the server closes the connection
        except OSError:   # the client went away: nothing left to keep alive
            pass


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
    return _unavailable("session store", type(exc).__name__ if exc else "at session load", STORE_DOWN_DETAIL)


DATABASE_DOWN_DETAIL = "系统暂时无法读取或保存数据，本次操作没有完成，请稍后重试。"


def database_unavailable(exc: Exception):
    """The database cannot be reached (stopped, restarting, a connection
    cut): 503 with the incident number, on a page that needs no database."""
    return _unavailable("database", type(getattr(exc, "orig", None) or exc).__name__, DATABASE_DOWN_DETAIL)


def _unavailable(what: str, cause: str, detail: str):
    incident = request_id()
    log.error("Incident %s on %s %s: %s unreachable (%s)", incident, request.method, request.path, what, cause)
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        return {"ok": False, "message": f"{STORE_DOWN_TITLE}，请稍后重试（事件编号{incident}）",
                "incident": incident}, 503
    return error_page(503, title=STORE_DOWN_TITLE, detail=detail, incident=incident), 503


STORAGE_DOWN_DETAIL = "附件和导出文件暂时无法读取或保存，请稍后重试；已保存的内容不会丢失。"


def storage_unavailable(exc: Exception):
    """The storage (the bucket, the disk) failed or hangs, and the page did
    not say so itself: 503 存储服务暂时不可用 with the incident number, not
    500. A file missing from it is a 404."""
    from werkzeug.exceptions import NotFound

    from app.platform.storage import UNAVAILABLE

    if isinstance(exc, FileNotFoundError):
        return handle_http_error(NotFound(description="文件缺失，请重新上传"))
    incident = request_id()
    log.error("Incident %s on %s %s: storage unavailable (%s)", incident, request.method, request.path, exc)
    title = UNAVAILABLE.split("，")[0]
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        return {"ok": False, "message": f"{UNAVAILABLE}（事件编号{incident}）", "incident": incident}, 503
    return error_page(503, title=title, detail=STORAGE_DOWN_DETAIL, incident=incident), 503


def is_database_down(exc: BaseException) -> bool:
    from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError

    return isinstance(exc, (OperationalError, InterfaceError, DisconnectionError))


def handle_unexpected_error(exc: Exception):
    if is_database_down(exc):
        return database_unavailable(exc)
    incident = request_id()
    log.exception("Incident %s on %s %s", incident, request.method, request.path)
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        return {"ok": False, "message": f"系统出现错误，事件编号{incident}", "incident": incident}, 500
    return error_page(500, title="系统出现错误", incident=incident), 500


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
    look it up afterwards. Links with options (`_anchor` …), relative
    endpoints, values that cannot be a key and long links are built each time.
    Pages link within the site only: `_external` and `_scheme` are dropped
    (a template that passes `**request.args` would otherwise let a query
    string make a link absolute, to the Host it came with, or javascript:);
    absolute links come from public_url()."""
    build = app.url_for
    built: dict[tuple, str] = {}

    def url_for(endpoint: str, **values) -> str:
        values.pop("_external", None)
        values.pop("_scheme", None)
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


def local_time(value, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored time as pages and printouts show it: the wall clock of
    TIME_ZONE (a naive value is taken as a local time there)."""
    return clock.local(value).strftime(fmt) if value is not None else ""
