"""Personal identifiers encrypted at rest (PIPL, 等保; #10 item 6).

`Encrypted` columns hold Fernet tokens (AES-128-CBC + HMAC-SHA256, from
`cryptography`): authenticated, so a changed byte is refused, never misread.
Keys come from settings: FIELD_ENCRYPTION_KEYS lists Fernet keys, the first
encrypts, all decrypt (rotation: put a new key first, run
`flask rotate-field-keys`, then drop the old one). A keyed hash (HMAC-SHA256
with FIELD_HMAC_KEY) beside each value serves uniqueness, login and exact
search without decrypting anything."""
from __future__ import annotations

import hashlib
import hmac

from cryptography.fernet import InvalidToken, MultiFernet
from flask import current_app
from sqlalchemy import String
from sqlalchemy.types import TypeDecorator

TOKEN_PREFIX = "gAAAAA"  # nosec B105 - not a secret: every Fernet token starts so (version byte + timestamp)


def field_cipher() -> MultiFernet:
    return current_app.extensions["field_cipher"]


def blind_index(value: str | None) -> str | None:
    """The HMAC of a normalised value, for equality lookups; None stays None."""
    if not value:
        return None
    key = current_app.config["FIELD_HMAC_KEY"].encode()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def encrypt(value: str | None) -> str | None:
    return None if not value else field_cipher().encrypt(value.encode()).decode()


def decrypt(token: str | None) -> str | None:
    if not token:
        return None
    if not token.startswith(TOKEN_PREFIX):
        return token  # a row the migration has not reached (never written so by the app)
    try:
        return field_cipher().decrypt(token.encode()).decode()
    except InvalidToken:
        raise ValueError("encrypted field cannot be read with the configured keys") from None


class Encrypted(TypeDecorator):
    """A string stored encrypted; Python code sees the plain value."""

    impl = String(255)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return encrypt(value)

    def process_result_value(self, value, dialect):
        return decrypt(value)
