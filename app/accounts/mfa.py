"""Second factor for staff (等保 level 3; #10 item 5): TOTP from an
authenticator app (pyotp), enrolled with a QR code, plus ten single-use
recovery codes; or, where MFA_SMS is on, a code sent by SMS to the phone on
the account (for staff without an authenticator app). Which roles must use a
second factor is a setting (MFA_REQUIRED_ROLES); the form login and the JSON
login both ask for it (the JSON login takes TOTP only: it has no second step
to send an SMS in).

A new authenticator is bound only by someone who has given the account's
existing factor: an account that can verify by SMS passes that code first,
in the same pending login; one bound already needs an administrator's reset.
Only an account with no factor at all (new, or reset, without a phone to
use) binds one with the password alone."""
from __future__ import annotations

import io
import json
import secrets
import time

import pyotp
from flask import current_app
from sqlalchemy import update
from werkzeug.security import check_password_hash, generate_password_hash

from app.accounts import sms_codes
from app.platform.audit import record
from app.platform.extensions import db
from app.platform.kvstore import kv
from models import Account

ISSUER = "职称申报评审系统"
SMS_PURPOSE = "mfa"
RECOVERY_CODES = 10


def required_for(user: Account) -> bool:
    roles = {r.strip() for r in (current_app.config.get("MFA_REQUIRED_ROLES") or "").split(",") if r.strip()}
    return bool(roles & user.role_names)


def enrolled(user: Account) -> bool:
    return bool(user.mfa_secret)


def sms_possible(user: Account) -> bool:
    return bool(current_app.config.get("MFA_SMS") and user.phone)


def can_verify(user: Account) -> bool:
    """Has a second factor to give now: an authenticator, or SMS to a phone."""
    return enrolled(user) or sms_possible(user)


def may_enroll(user: Account, factor_passed: bool = False) -> bool:
    """Whether a new authenticator may be bound now: never over a bound one,
    and not without the SMS code when the account can receive one."""
    return not enrolled(user) and (factor_passed or not sms_possible(user))


def send_sms_code(user: Account) -> str | None:
    """Send a login code to the account's phone; an error message or None."""
    error = sms_codes.send_code(SMS_PURPOSE, user.phone)
    record("mfa.sms_sent" if error is None else "mfa.sms_refused", f"ab_user:{user.id}", actor=user)
    db.session.commit()
    return error


def new_secret() -> str:
    return pyotp.random_base32()


def qr_svg(user: Account, secret: str) -> str:
    """The otpauth:// URI as an SVG QR code (segno), to scan with an authenticator app."""
    import segno

    uri = pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)
    buf = io.BytesIO()
    segno.make(uri, error="m").save(buf, kind="svg", scale=5, xmldecl=False, svgns=True)
    return buf.getvalue().decode()


def _totp_ok(user: Account, secret: str, code: str) -> bool:
    """A current code (±30 s), each time step used once per account (no replay)."""
    totp = pyotp.TOTP(secret)
    now = time.time()
    for offset in (0, -30, 30):
        step = int((now + offset) // 30)
        if secrets.compare_digest(totp.at(now + offset), code):
            return kv().add(f"mfa-used:{user.id}:{step}", "1", 120)
    return False


def enroll(user: Account, secret: str, code: str, factor_passed: bool = False) -> list[str] | None:
    """Bind the authenticator when `code` proves it works and the account may
    bind one (`may_enroll`); the recovery codes (shown once) or None."""
    if not may_enroll(user, factor_passed):
        record("mfa.enroll_refused", f"ab_user:{user.id}", actor=user)
        db.session.commit()
        return None
    code = (code or "").strip().replace(" ", "")
    if not (code.isascii() and code.isdigit() and _totp_ok(user, secret, code)):
        record("mfa.enroll_failed", f"ab_user:{user.id}", actor=user)
        db.session.commit()
        return None
    codes = [secrets.token_hex(5) for _ in range(RECOVERY_CODES)]
    method = current_app.config["FAB_PASSWORD_HASH_METHOD"]
    recovery = json.dumps([generate_password_hash(c, method=method) for c in codes])
    # Only over an empty slot, checked by the database: of two bindings at once, one wins.
    bound = db.session.execute(
        update(Account).where(Account.id == user.id, Account.mfa_secret.is_(None))
        .values(mfa_secret=secret, mfa_recovery=recovery).execution_options(synchronize_session="fetch")
    ).rowcount
    if not bound:
        db.session.rollback()
        record("mfa.enroll_refused", f"ab_user:{user.id}", actor=user)
        db.session.commit()
        return None
    record("mfa.enroll", f"ab_user:{user.id}", actor=user)
    db.session.commit()
    return codes


def verify(user: Account, code: str, sms: bool = False) -> bool:
    """A TOTP code, or one of the recovery codes (used up); with `sms` (a
    code was sent), also the SMS code (used once). Five wrong codes in 15 minutes end the
    attempt: the person starts again at the login."""
    code = (code or "").strip().replace(" ", "").lower()
    tries_key = f"mfa-fail:{user.id}"
    if int(kv().get(tries_key) or 0) >= current_app.config["LOGIN_MAX_FAILURES"]:
        ok = False
    elif code.isdigit() and len(code) == 6:
        ok = (enrolled(user) and _totp_ok(user, user.mfa_secret, code)) or \
            (sms and sms_possible(user) and sms_codes.check_code(SMS_PURPOSE, user.phone, code) is None)
    else:
        ok = enrolled(user) and _use_recovery_code(user, code)
    if not ok:
        kv().incr(tries_key, current_app.config["LOGIN_LOCK_MINUTES"] * 60)
    record("mfa.ok" if ok else "mfa.failed", f"ab_user:{user.id}", actor=user,
           after={"sms_sent": sms})
    db.session.commit()
    return ok


def locked_until(user: Account) -> float | None:
    """After five wrong codes: when (epoch seconds) codes are taken again; else None."""
    tries_key = f"mfa-fail:{user.id}"
    if int(kv().get(tries_key) or 0) < current_app.config["LOGIN_MAX_FAILURES"]:
        return None
    return time.time() + kv().ttl(tries_key)


def _use_recovery_code(user: Account, code: str) -> bool:
    hashes = json.loads(user.mfa_recovery or "[]")
    for h in hashes:
        if code and check_password_hash(h, code):
            hashes.remove(h)
            user.mfa_recovery = json.dumps(hashes)
            record("mfa.recovery_code_used", f"ab_user:{user.id}", actor=user, after={"left": len(hashes)})
            return True
    return False


def reset(user: Account) -> None:
    """An administrator removes a lost authenticator: the next login enrols anew."""
    user.mfa_secret = None
    user.mfa_recovery = None
    record("mfa.reset", f"ab_user:{user.id}")
    db.session.commit()
