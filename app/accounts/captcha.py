"""The image captcha (图形验证码) on login, registration, SMS sending and 忘记密码.

The answer is kept hashed in the server-side session, expires, and is used
once: a wrong guess also discards it, so it cannot be brute-forced.
`CAPTCHA_FIXED_CODE` (tests and demos only; refused in production) makes
every captcha accept that code.
"""
from __future__ import annotations

import hashlib
import hmac
import io
import secrets
import time

from flask import current_app, session

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
LENGTH = 4
SESSION_KEY = "captcha"


def _digest(code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, code.strip().upper().encode(), hashlib.sha256).hexdigest()


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def new_challenge() -> bytes:
    """Make a new code, remember it in the session and return the PNG image."""
    from captcha.image import ImageCaptcha

    code = new_code()
    session[SESSION_KEY] = {"h": _digest(code), "t": time.time()}
    image = ImageCaptcha(width=120, height=44, font_sizes=(30, 34, 36))
    buf = io.BytesIO()
    image.generate_image(code).save(buf, format="PNG")
    return buf.getvalue()


def check(answer: str | None, keep: bool = False) -> str | None:
    """Return an error message, or None when the answer is right.

    The stored answer is discarded unless `keep` is set and the answer was
    right (the registration page checks it once when sending the SMS and
    again, finally, when the form is submitted).
    """
    answer = (answer or "").strip()
    if not answer:
        return "请输入图形验证码"
    fixed = current_app.config.get("CAPTCHA_FIXED_CODE")
    if fixed:
        return None if answer.upper() == fixed.upper() else "图形验证码错误"
    stored = session.get(SESSION_KEY)
    if not stored:
        return "图形验证码已失效，请点击图片刷新"
    expired = time.time() - stored["t"] > current_app.config["CAPTCHA_TTL_SECONDS"]
    right = not expired and hmac.compare_digest(stored["h"], _digest(answer))
    if not (right and keep):
        session.pop(SESSION_KEY, None)
    if expired:
        return "图形验证码已过期，请点击图片刷新"
    return None if right else "图形验证码错误，请点击图片刷新后重新输入"
