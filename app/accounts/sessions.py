"""Server-side sessions.

The cookie carries only a random id; the data lives in the key-value store
(Redis when configured, otherwise the database). So logging out, changing
or resetting a password deletes the stored session and every copy of the
old cookie becomes useless (ASVS V3.3). Sessions are indexed by user, so
all sessions of an account can be ended at once.
"""
from __future__ import annotations

import hashlib
import secrets
import time

import logging

from flask.json.tag import TaggedJSONSerializer
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.datastructures import CallbackDict

from app.platform.kvstore import STORE_ERRORS, kv

log = logging.getLogger(__name__)
PREFIX = "session:"
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
        if sid and len(sid) <= 128:
            raw = kv().get(_key(sid))
            if raw is not None:
                data = serializer.loads(raw)
                now = time.time()
                created = data.get("_created", now)
                if now - created < app.config["SESSION_ABSOLUTE_HOURS"] * 3600:
                    session = self.session_class(data, sid=sid)
                    session.touch_due = now - data.get("_seen", 0) > 60
                    return session
                kv().delete(_key(sid))
        return self.session_class(new=True)

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
        if not session:
            if session.sid and session.modified:
                kv().delete(_key(session.sid))
                response.delete_cookie(name, domain=domain, path=path)
            return
        if not (session.modified or session.new or getattr(session, "touch_due", False) or session.rotate):
            return
        if session.rotate and session.sid:
            kv().delete(_key(session.sid))
            session.sid = None
        if not session.sid:
            session.sid = secrets.token_urlsafe(32)
        now = time.time()
        data = dict(session)
        data.setdefault("_created", now)
        data["_seen"] = now
        ttl = app.config["SESSION_IDLE_MINUTES"] * 60
        kv().set(_key(session.sid), serializer.dumps(data), ttl, owner=_owner(data))
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


def _owner(data: dict) -> str | None:
    user_id = data.get("_user_id")
    return f"user:{user_id}" if user_id else None


def end_user_sessions(user_id: int, keep_sid: str | None = None) -> None:
    """End every session of an account, except `keep_sid` when given."""
    keep = _key(keep_sid) if keep_sid else None
    kv().delete_owned(f"user:{user_id}", prefix=PREFIX, keep=keep)
