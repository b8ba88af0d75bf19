"""Account operations (manual 1.1.1, PRODUCT A1–A9): authenticate with
lock-out and temporary passwords, register, recover and change passwords.
Views call these; they hold no request handling of their own."""
from __future__ import annotations

import logging
import secrets
import string
from datetime import datetime, timedelta

from flask import current_app, session
from sqlalchemy import func, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from app.accounts.sessions import end_user_sessions
from app.platform.extensions import db
from app.platform.kvstore import kv
from app.platform.sms import queue_sms
from models import Account
from models.identity import mask_id_number, normalise_login

log = logging.getLogger(__name__)

BAD_LOGIN = "账号或密码错误"


def _hash(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["FAB_PASSWORD_HASH_METHOD"])


def find_by_login(login: str) -> Account | None:
    name = normalise_login(login)
    if not name:
        return None
    return db.session.scalar(select(Account).where((Account.username == name) | (Account.id_number == name)))


def authenticate(login: str, password: str) -> tuple[Account | None, str | None]:
    """Check a login. Returns (user, None) or (None, a Chinese message).

    Five failures lock the account for 15 minutes. A valid temporary password
    (忘记密码？) logs in once, forces a password change and ends every other
    session of the account.
    """
    cfg = current_app.config
    user = find_by_login(login)
    now = datetime.now()
    if user is None or not user.active or not password:
        # Balance the timing of unknown accounts with a real hash check.
        check_password_hash(cfg["AUTH_DB_FAKE_PASSWORD_HASH_CHECK"], password or "x")
        log.info("Login failed for unknown or inactive account %s", mask_id_number(normalise_login(login)))
        return None, BAD_LOGIN
    if user.locked_until and user.locked_until > now:
        minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        return None, f"登录失败次数过多，账号已锁定，请{minutes}分钟后再试"

    used_temporary = False
    ok = bool(user.password) and check_password_hash(user.password, password)
    if not ok and user.temp_password_hash and user.temp_password_expires and user.temp_password_expires > now:
        ok = used_temporary = check_password_hash(user.temp_password_hash, password)

    if not ok:
        # One atomic increment, so parallel guesses cannot lose counts.
        db.session.execute(
            update(Account).where(Account.id == user.id)
            .values(fail_login_count=func.coalesce(Account.fail_login_count, 0) + 1)
        )
        db.session.refresh(user)
        if user.fail_login_count >= cfg["LOGIN_MAX_FAILURES"]:
            user.locked_until = now + timedelta(minutes=cfg["LOGIN_LOCK_MINUTES"])
            user.fail_login_count = 0
            db.session.commit()
            log.warning("Account %s locked after repeated failures", user.id)
            return None, f"登录失败次数过多，账号已锁定，请{cfg['LOGIN_LOCK_MINUTES']}分钟后再试"
        db.session.commit()
        return None, BAD_LOGIN

    user.fail_login_count = 0
    user.locked_until = None
    user.last_login = now
    user.login_count = (user.login_count or 0) + 1
    if used_temporary:
        user.temp_password_hash = None
        user.temp_password_expires = None
        user.must_change_password = True
    db.session.commit()
    if used_temporary:
        end_user_sessions(user.id)
        _notify(user, "您的账号刚刚使用临时密码登录，请立即修改密码。如非本人操作，请联系单位或职称办。")
    return user, None


def new_temporary_password() -> str:
    """Random, ≥ 10 characters, and valid under the password rule itself."""
    alphabet = string.ascii_letters + string.digits
    while True:
        pw = secrets.choice(string.ascii_letters) + "".join(secrets.choice(alphabet) for _ in range(11))
        if any(c.isdigit() for c in pw):
            return pw


def send_temporary_password(login: str) -> None:
    """忘记密码？ Sends a temporary password to the account's phone. Says
    nothing about whether the account exists (the caller answers the same
    either way). The old password keeps working until the temporary one
    is used, so a stranger cannot lock the owner out."""
    user = find_by_login(login)
    if user is None or not user.active or not user.phone:
        return
    # At most one temporary password a minute per account.
    if not kv().add(f"temp-password-sent:{user.id}", "1", current_app.config["SMS_RESEND_SECONDS"]):
        return
    password = new_temporary_password()
    minutes = current_app.config["TEMP_PASSWORD_MINUTES"]
    user.temp_password_hash = _hash(password)
    user.temp_password_expires = datetime.now() + timedelta(minutes=minutes)
    db.session.commit()
    _notify(user, f"您的临时密码为{password}，{minutes}分钟内有效且只能使用一次，登录后请立即修改密码。")


def change_password(user: Account, new_password: str) -> None:
    """Set a new password; every other session of the account ends."""
    user.password = _hash(new_password)
    user.password_changed_at = datetime.now()
    user.must_change_password = False
    user.temp_password_hash = None
    user.temp_password_expires = None
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
        username=id_number,
        first_name=name,
        last_name="",
        email=email,
        id_number=id_number,
        phone=phone,
        active=True,
        password=_hash(password),
        roles=[role],
        agreement_accepted_at=datetime.now(),
        password_changed_at=datetime.now(),
    )
    db.session.add(user)
    db.session.commit()
    return user


def _notify(user: Account, text: str) -> None:
    if not user.phone:
        return
    queue_sms(user.phone, text, valid_seconds=current_app.config["TEMP_PASSWORD_MINUTES"] * 60)
