"""Server-side sessions.

The cookie carries only a random id; the data lives in the key-value store
(Redis when configured, otherwise the database). So logging out, changing
or resetting a password deletes the stored session and every copy of the
old cookie becomes useless (ASVS V3.3). Sessions are indexed by user, so
all sessions of an account can be ended at once.

An anonymous visitor who only reads (the login page, the public check) gets
no stored session: the cookie carries a fresh random id and the CSRF token is
derived from that id with the secret key, so the login form works without
anything written. A session is stored on its first real write (the captcha
answer, 已阅读协议, a flash message, signing in); an anonymous one lives
`SESSION_ANONYMOUS_MINUTES`, a signed-in one `SESSION_IDLE_MINUTES`.

A token login of the API opens an API session under the same limits (idle
and absolute) and the same owner index: every token it issues names it, so
ending an account's sessions (password change or reset, a role change,
deactivation) or the API's logout ends its tokens too.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time

import logging

from flask import current_app
from flask.json.tag import TaggedJSONSerializer
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.datastructures import CallbackDict

from app.platform.kvstore import STORE_ERRORS, kv

log = logging.getLogger(__name__)
PREFIX = "session:"
CSRF_KEY = "csrf_token"  # Flask-WTF's key in the session
# what an anonymous read may put in its session without it being stored: the
# CSRF token derived from the id, and Flask-Login's "not fresh" mark
DERIVED_KEYS = {CSRF_KEY, "_fresh"}
SID_RE = re.compile(r"[A-Za-z0-9_-]{43}")
MAX_FLASHES = 10
# Flask's own session serializer: keeps tuples, Markup, dates and lazy strings.
serializer = TaggedJSONSerializer()


def _key(sid: str) -> str:
    # Store a hash of the id, so a leaked store does not leak live cookies.
    return PREFIX + hashlib.sha256(sid.encode()).hexdigest()


class ServerSession(CallbackDict, SessionMixin):
    def __init__(self, initial=None, sid=None, new=False):
        def on_update(s):
            s.modified = True

        super().__init__(initial, on_update)
        self.sid = sid
        self.new = new
        self.modified = False
        self.rotate = False

    def regenerate(self):
        """Give the session a new id (at login: no session fixation)."""
        self.rotate = True
        self.modified = True


class ServerSessionInterface(SessionInterface):
    session_class = ServerSession

    def open_session(self, app, request):
        """A store that cannot be reached gives an empty, unsaved session:
        public pages still work, and `store_down` lets the app answer pages
        that need a session with a clear message (#11)."""
        try:
            return self._open(app, request)
        except STORE_ERRORS:
            log.warning("Session store unreachable")
            session = self.session_class(new=True)
            session.store_down = True
            return session

    def _open(self, app, request):
        sid = request.cookies.get(self.get_cookie_name(app))
        reached = False
        if sid and SID_RE.fullmatch(sid):
            raw = kv().get(_key(sid))
            reached = True
            if raw is not None:
                data = serializer.loads(raw)
                now = time.time()
                created = data.get("_created", now)
                if now - created < app.config["SESSION_ABSOLUTE_HOURS"] * 3600:
                    session = self.session_class(data, sid=sid)
                    session.touch_due = now - data.get("_seen", 0) > 60
                    session.stored = True
                    return session
                kv().delete(_key(sid))
                sid = None  # an expired signed-in session's id is not reused
        else:
            sid = None
        # Nothing stored: an anonymous visitor, known only by the cookie's id.
        session = self.session_class(new=True, sid=sid or secrets.token_urlsafe(32))
        session.cookie_due = sid is None
        session.store_reached = reached    # the store answered this request already
        dict.__setitem__(session, CSRF_KEY, _derived_csrf(app, session.sid))
        session.stored = False
        return session

    def save_session(self, app, session, response):
        if getattr(session, "store_down", False):
            return
        try:
            self._save(app, session, response)
        except STORE_ERRORS:
            log.warning("Session store unreachable; session not saved")

    def _save(self, app, session, response):
        name = self.get_cookie_name(app)
        domain = self.get_cookie_domain(app)
        path = self.get_cookie_path(app)
        stored = getattr(session, "stored", False)
        if not session:
            if session.sid and session.modified:
                if stored:
                    kv().delete(_key(session.sid))
                response.delete_cookie(name, domain=domain, path=path)
            return
        if not stored and not session.rotate and set(session) <= DERIVED_KEYS:
            # an anonymous read: nothing to store; the cookie only carries the id
            if getattr(session, "cookie_due", False):
                self._set_cookie(app, session, response)
            return
        if not (session.modified or session.new or getattr(session, "touch_due", False) or session.rotate):
            return
        derived = {_derived_csrf(app, session.sid)} if session.sid else set()
        if session.rotate and session.sid:
            if stored:
                kv().delete(_key(session.sid))
            session.sid = None
        if not session.sid:
            session.sid = secrets.token_urlsafe(32)
        now = time.time()
        data = dict(session)
        if data.get("_flashes"):
            data["_flashes"] = _recent_distinct(data["_flashes"])
        data.setdefault("_created", now)
        data["_seen"] = now
        signed_in = "_user_id" in data
        ttl = app.config["SESSION_IDLE_MINUTES" if signed_in else "SESSION_ANONYMOUS_MINUTES"] * 60
        if signed_in and data.get(CSRF_KEY) in derived:
            # signed in: the token is no longer derivable from an id a cookie once showed
            data[CSRF_KEY] = secrets.token_hex(20)
        kv().set(_key(session.sid), serializer.dumps(data), ttl, owner=_owner(data))
        session.stored = True
        self._set_cookie(app, session, response)

    def _set_cookie(self, app, session, response):
        name = self.get_cookie_name(app)
        domain = self.get_cookie_domain(app)
        path = self.get_cookie_path(app)
        response.set_cookie(
            name,
            session.sid,
            httponly=self.get_cookie_httponly(app),
            secure=self.get_cookie_secure(app),
            samesite=self.get_cookie_samesite(app),
            domain=domain,
            path=path,
        )
        response.vary.add("Cookie")


def _recent_distinct(flashes: list, keep: int = MAX_FLASHES) -> list:
    """Messages waiting to be shown, each once, the latest few: a client that
    posts again and again without following the redirects (a script, a
    double click) would otherwise grow its session with every request."""
    seen, out = set(), []
    for item in reversed(flashes):
        key = tuple(str(part) for part in item)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out[:keep][::-1]


def _derived_csrf(app, sid: str) -> str:
    key = app.config["SECRET_KEY"].encode()
    return hmac.new(key, b"csrf:" + sid.encode(), hashlib.sha256).hexdigest()[:40]


def _owner(data: dict) -> str | None:
    user_id = data.get("_user_id")
    return f"user:{user_id}" if user_id else None


def end_user_sessions(user_id: int, keep_sid: str | None = None) -> None:
    """End every session of an account, except `keep_sid` when given."""
    keep = _key(keep_sid) if keep_sid else None
    kv().delete_owned(f"user:{user_id}", prefix=PREFIX, keep=keep)


# API sessions: under PREFIX, so that end_user_sessions ends them with the rest.
API_PREFIX = PREFIX + "api:"


def _api_key(sid: str) -> str:
    return API_PREFIX + hashlib.sha256(sid.encode()).hexdigest()


def open_api_session(user_id: int) -> str:
    """A new API session for a token login; its id goes into every token."""
    sid = secrets.token_urlsafe(32)
    now = time.time()
    kv().set(_api_key(sid), json.dumps({"uid": user_id, "created": now, "seen": now}),
             current_app.config["SESSION_ABSOLUTE_HOURS"] * 3600, owner=f"user:{user_id}")
    return sid


def api_session_alive(sid: str | None, user_id: int) -> bool:
    """Whether a token's API session still lives: not ended, used within
    SESSION_IDLE_MINUTES, younger than SESSION_ABSOLUTE_HOURS — the web
    session's limits. A use marks it seen (at most once a minute), by a
    compare-and-set, so a session ended meanwhile is not brought back."""
    if not isinstance(sid, str) or not sid:
        return False
    key = _api_key(sid)
    raw = kv().get(key)
    if raw is None:
        return False
    data = json.loads(raw)
    now = time.time()
    cfg = current_app.config
    if data.get("uid") != user_id or now - data["created"] >= cfg["SESSION_ABSOLUTE_HOURS"] * 3600 \
            or now - data["seen"] > cfg["SESSION_IDLE_MINUTES"] * 60:
        kv().delete(key)
        return False
    if now - data["seen"] > 60:
        kv().replace_if(key, raw, json.dumps(dict(data, seen=now)))
    return True


def end_api_session(sid: str | None) -> None:
    if isinstance(sid, str) and sid:
        kv().delete(_api_key(sid))
