"""SMS verification codes (A1, A9): six digits from `secrets`, valid three
minutes, used once, stored hashed, one send per 60 s per phone, at most five
wrong tries. Kept in the shared key-value store so every worker agrees."""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets

from flask import current_app

from app.platform.kvstore import kv
from app.platform.sms import queue_sms


def _hash(phone: str, code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def _key(purpose: str, phone: str) -> str:
    return f"sms:{purpose}:{phone}"


def seconds_until_resend(purpose: str, phone: str) -> int:
    return kv().ttl(f"sms-sent:{purpose}:{phone}")


def _tries_key(purpose: str, phone: str) -> str:
    return f"sms-tries:{purpose}:{phone}"


def send_notice(purpose: str, phone: str, text: str) -> str | None:
    """Send a notice instead of a code, under the same once-a-minute rule and
    with the same answers as send_code (so a caller learns nothing more)."""
    if not kv().add(f"sms-sent:{purpose}:{phone}", "1", current_app.config["SMS_RESEND_SECONDS"]):
        return f"验证码已发送，请{seconds_until_resend(purpose, phone) or 1}秒后再试"
    queue_sms(phone, text)
    return None


def send_code(purpose: str, phone: str) -> str | None:
    """Send a new code; return an error message or None."""
    cfg = current_app.config
    if not kv().add(f"sms-sent:{purpose}:{phone}", "1", cfg["SMS_RESEND_SECONDS"]):
        return f"验证码已发送，请{seconds_until_resend(purpose, phone) or 1}秒后再试"
    code = f"{secrets.randbelow(10**6):06d}"
    record = json.dumps({"h": _hash(phone, code), "n": secrets.token_hex(4)})
    kv().set(_key(purpose, phone), record, cfg["SMS_CODE_TTL_SECONDS"])
    kv().delete(_tries_key(purpose, phone))
    minutes = cfg["SMS_CODE_TTL_SECONDS"] // 60
    queue_sms(phone, f"您的验证码为{code}，{minutes}分钟内有效。请勿将验证码告知他人。",
              valid_seconds=cfg["SMS_CODE_TTL_SECONDS"])
    return None


def check_code(purpose: str, phone: str, code: str | None, consume: bool = True) -> str | None:
    """Return an error message, or None when the code is right (and, with
    `consume`, has now been used up; two requests racing with the same code
    cannot both succeed)."""
    code = (code or "").strip()
    if not code:
        return "请输入手机验证码"
    key = _key(purpose, phone)
    raw = kv().get(key)
    if raw is None:
        return "手机验证码已失效，请重新获取"
    record = json.loads(raw)
    max_tries = current_app.config["SMS_CODE_MAX_TRIES"]
    tries_key = _tries_key(purpose, phone)
    if int(kv().get(tries_key) or 0) >= max_tries:
        kv().delete_if(key, raw)
        return "手机验证码错误次数过多，请重新获取"
    if hmac.compare_digest(record["h"], _hash(phone, code)):
        if not consume or kv().delete_if(key, raw):
            return None
        return "手机验证码已失效，请重新获取"
    # One atomic increment per wrong code (#10 item 4): parallel wrong
    # codes are all counted, so the code dies after the fifth.
    if kv().incr(tries_key, current_app.config["SMS_CODE_TTL_SECONDS"]) >= max_tries:
        kv().delete_if(key, raw)
        return "手机验证码错误次数过多，请重新获取"
    return "手机验证码错误"
