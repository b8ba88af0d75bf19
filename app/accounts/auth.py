"""Account operations (manual 1.1.1, PRODUCT A1–A9): authenticate with
lock-out and temporary passwords, register, recover and change passwords.
Views call these; they hold no request handling of their own."""
from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import string
from datetime import timedelta
from functools import lru_cache

from flask import current_app, g, has_request_context, request, session
from sqlalchemy import event, func, inspect, select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from app.accounts.sessions import end_user_sessions
from app.platform.audit import record
from app.platform.extensions import db
from app.platform.kvstore import STORE_ERRORS, kv
from app.platform.sms import queue_sms
from models import Account, clock
from models.user import applicant_username
from models.identity import mask_id_number, normalise_login
from permissions.roles import OWN_ROLES_MESSAGE, separation_error

log = logging.getLogger(__name__)

BAD_LOGIN = "账号或密码错误"


def hash_password(password: str) -> str:
    """The one hasher for every path that sets a password (#9 item 1)."""
    return generate_password_hash(password, method=current_app.config["FAB_PASSWORD_HASH_METHOD"])


_hash = hash_password
HASH_PREFIXES = ("scrypt:", "pbkdf2:")


def is_password_hash(value: str | None) -> bool:
    return value is None or value.startswith(HASH_PREFIXES)


@event.listens_for(Session, "before_flush")
def _passwords_are_hashed(session: Session, flush_context, instances) -> None:
    """Whatever path writes an account, a plain password never reaches the
    database (#9 item 1): the flush is refused."""
    for obj in [*session.new, *session.dirty]:
        if isinstance(obj, Account) and not is_password_hash(obj.password):
            raise ValueError("password must be stored hashed")


@event.listens_for(Session, "before_flush")
def _roles_stay_apart(session: Session, flush_context, instances) -> None:
    """三员分立 on every path that gives roles (pages, commands, scripts): the
    separated roles never meet on one account, and a signed-in person never
    changes their own roles. The pages refuse first with a message; this
    refuses the flush whatever else tries."""
    for obj in [*session.new, *session.dirty]:
        if not isinstance(obj, Account) or not inspect(obj).attrs.roles.history.has_changes():
            continue
        error = separation_error(r.name for r in obj.roles)
        if error:
            raise ValueError(error)
        actor = getattr(g, "user", None) if has_request_context() else None
        if obj.id is not None and getattr(actor, "is_authenticated", False) and getattr(actor, "id", None) == obj.id:
            raise ValueError(OWN_ROLES_MESSAGE)


@event.listens_for(Session, "after_flush")
def _note_access_changes(session: Session, flush_context) -> None:
    """An account whose roles changed, or that was deactivated, signs in
    again: every session of it, web and API, ends when the change commits."""
    for obj in session.dirty:
        if isinstance(obj, Account) and obj.id is not None:
            state = inspect(obj)
            if state.attrs.roles.history.has_changes() or \
                    (state.attrs.active.history.has_changes() and not obj.active):
                session.info.setdefault("end_sessions_of", set()).add(obj.id)


@event.listens_for(Session, "after_commit")
def _end_sessions_after_access_changes(session: Session) -> None:
    for user_id in session.info.pop("end_sessions_of", ()):
        try:
            end_user_sessions(user_id)
        except STORE_ERRORS:
            log.warning("Session store unreachable; sessions of account %s not ended", user_id)


@event.listens_for(Session, "after_rollback")
def _forget_access_changes(session: Session) -> None:
    session.info.pop("end_sessions_of", None)


def find_by_login(login: str) -> Account | None:
    name = normalise_login(login)
    if not name:
        return None
    return db.session.scalar(select(Account).where((Account.username == name) | Account.id_number_is(name)))


def _source() -> str:
    return (request.remote_addr or "unknown") if has_request_context() else "local"


@lru_cache(maxsize=4)
def _stand_in_hash(method: str) -> str:
    """The hash an unknown account's password is checked against, of the
    configured kind so the timing matches a real account's. Made when first
    needed, once per process: scrypt takes a fifth of a second, too much to
    pay at every worker start."""
    return generate_password_hash("not-a-password", method=method)


def authenticate(login: str, password: str, source: str | None = None) -> tuple[Account | None, str | None]:
    """Check a login. Returns (user, None) or (None, a Chinese message).

    Five failures from one source (address) block that source for this
    account for 15 minutes; the answer stays 账号或密码错误, so nobody learns
    which IDs are registered, and the owner signing in from elsewhere is not
    locked out by a stranger (#10 item 1). Many failures in an hour warn the
    owner by SMS. A valid temporary password (忘记密码？) logs in once,
    forces a password change and ends every other session of the account.
    """
    cfg = current_app.config
    source = source or _source()
    user = find_by_login(login)
    now = clock.now()
    if user is None or not user.active or not password:
        # Balance the timing of unknown accounts with a real hash check.
        check_password_hash(_stand_in_hash(cfg["FAB_PASSWORD_HASH_METHOD"]), password or "x")
        log.info("Login failed for unknown or inactive account %s", mask_id_number(normalise_login(login)))
        record("login.failed", f"login:{mask_id_number(normalise_login(login))}", actor=user)
        db.session.commit()
        return None, BAD_LOGIN
    fail_key = f"login-fail:{user.id}:{source}"
    blocked = int(kv().get(fail_key) or 0) >= cfg["LOGIN_MAX_FAILURES"]

    used_temporary = False
    ok = bool(user.password) and check_password_hash(user.password, password)
    if not ok and user.temp_password_hash and user.temp_password_expires and user.temp_password_expires > now:
        ok = used_temporary = check_password_hash(user.temp_password_hash, password)

    if blocked:
        record("login.blocked", f"ab_user:{user.id}", actor=user)
        db.session.commit()
        return None, BAD_LOGIN
    if not ok:
        _count_failure(user, fail_key)
        return None, BAD_LOGIN

    kv().delete(fail_key)
    user.fail_login_count = 0
    user.locked_until = None
    user.last_login = now
    user.login_count = (user.login_count or 0) + 1
    if used_temporary:
        user.temp_password_hash = None
        user.temp_password_expires = None
        user.must_change_password = True
    record("login.ok", f"ab_user:{user.id}", actor=user, after={"temporary_password": used_temporary} if used_temporary else None)
    db.session.commit()
    if used_temporary:
        end_user_sessions(user.id)
        _notify(user, "您的账号刚刚使用临时密码登录，请立即修改密码。如非本人操作，请联系单位或职称办。")
    return user, None


def _count_failure(user: Account, fail_key: str) -> None:
    cfg = current_app.config
    window = cfg["LOGIN_LOCK_MINUTES"] * 60
    # Atomic counters: parallel guesses cannot lose counts.
    failures = kv().incr(fail_key, window)
    db.session.execute(
        update(Account).where(Account.id == user.id)
        .values(fail_login_count=func.coalesce(Account.fail_login_count, 0) + 1)
    )
    record("login.failed", f"ab_user:{user.id}", actor=user)
    if failures == cfg["LOGIN_MAX_FAILURES"]:
        log.warning("Account %s blocked for one source after repeated failures", user.id)
        record("login.locked", f"ab_user:{user.id}", actor=user, after={"minutes": cfg["LOGIN_LOCK_MINUTES"]})
    db.session.commit()
    attacks = kv().incr(f"login-attack:{user.id}", 3600)
    if attacks == cfg["LOGIN_ALERT_FAILURES"]:
        _notify(user, "您的账号在一小时内多次登录失败，可能有人在尝试您的密码。如非本人操作，请修改密码并联系职称办。")


def new_temporary_password() -> str:
    """Random, ≥ 10 characters, and valid under the password rule itself."""
    alphabet = string.ascii_letters + string.digits
    while True:
        pw = secrets.choice(string.ascii_letters) + "".join(secrets.choice(alphabet) for _ in range(11))
        if any(c.isdigit() for c in pw):
            return pw


def forgot_password(login: str) -> int:
    """忘记密码？ Returns 0 when a temporary password was sent if the account
    exists, or the seconds to wait when one was asked for the same typed ID
    within the last minute (#9 item 11). Both answers are the same for
    registered and unknown IDs: the wait is keyed on what was typed."""
    typed = normalise_login(login)
    digest = hmac.new(current_app.config["SECRET_KEY"].encode(), typed.encode(), hashlib.sha256).hexdigest()[:32]
    key = f"forgot-asked:{digest}"
    if not kv().add(key, "1", current_app.config["SMS_RESEND_SECONDS"]):
        return max(1, kv().ttl(key))
    send_temporary_password(typed)
    return 0


def send_temporary_password(login: str) -> None:
    """Sends a temporary password to the account's phone. Says nothing about
    whether the account exists (the caller answers the same either way). The
    old password keeps working until the temporary one is used, so a
    stranger cannot lock the owner out."""
    user = find_by_login(login)
    if user is None or not user.active or not user.phone:
        return
    # At most one temporary password a minute per account.
    if not kv().add(f"temp-password-sent:{user.id}", "1", current_app.config["SMS_RESEND_SECONDS"]):
        return
    password = new_temporary_password()
    minutes = current_app.config["TEMP_PASSWORD_MINUTES"]
    user.temp_password_hash = _hash(password)
    user.temp_password_expires = clock.now() + timedelta(minutes=minutes)
    record("password.temporary_sent", f"ab_user:{user.id}", actor=user)
    db.session.commit()
    _notify(user, f"您的临时密码为{password}，{minutes}分钟内有效且只能使用一次，登录后请立即修改密码。")


def set_password_by_administrator(user: Account, password: str) -> None:
    """An administrator sets (or resets) someone's password: stored with the
    same hasher, temporary — the first login forces 修改密码 — and every
    session of the account ends (#9 item 1). The caller has applied A3."""
    user.password = _hash(password)
    user.must_change_password = True
    user.password_changed_at = clock.now()
    user.temp_password_hash = None
    user.temp_password_expires = None
    user.fail_login_count = 0
    user.locked_until = None
    record("password.admin_reset", f"ab_user:{user.id}")
    db.session.commit()
    end_user_sessions(user.id)


def change_password(user: Account, new_password: str) -> None:
    """Set a new password; every other session of the account ends."""
    user.password = _hash(new_password)
    user.password_changed_at = clock.now()
    user.must_change_password = False
    user.temp_password_hash = None
    user.temp_password_expires = None
    record("password.change", f"ab_user:{user.id}", actor=user)
    db.session.commit()
    end_user_sessions(user.id, keep_sid=getattr(session, "sid", None))
    session.regenerate()
    _notify(user, "您的登录密码已修改。如非本人操作，请立即使用“忘记密码”功能并联系职称办。")


def verify_password(user: Account, password: str) -> bool:
    return bool(user.password and password) and check_password_hash(user.password, password)


def create_applicant(name: str, id_number: str, email: str, phone: str, password: str) -> Account:
    """Create an applicant account in one transaction (the caller has validated)."""
    sm = current_app.appbuilder.sm
    role = sm.find_role(current_app.config["AUTH_USER_REGISTRATION_ROLE"])
    user = Account(
        username=applicant_username(id_number),
        first_name=name,
        last_name="",
        email=email,
        id_number=id_number,
        phone=phone,
        active=True,
        password=_hash(password),
        roles=[role],
        agreement_accepted_at=clock.now(),
        password_changed_at=clock.now(),
    )
    db.session.add(user)
    db.session.commit()
    return user


def _notify(user: Account, text: str) -> None:
    if not user.phone:
        return
    queue_sms(user.phone, text, valid_seconds=current_app.config["TEMP_PASSWORD_MINUTES"] * 60)
