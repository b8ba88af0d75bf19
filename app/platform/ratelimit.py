"""Rate limits for the account endpoints, counted in the shared key-value
store (Redis, or the `kv_entry` table), so every worker and every instance
counts together (#9 item 10). Keys come first from what identifies the
person (phone, account, session that solved a captcha); the per-IP limit is
only a ceiling, high enough for a hospital or a company behind one NAT
address. The client address is the proxy's X-Forwarded-For only when
TRUSTED_PROXIES says how many proxies to trust (see create_app)."""
from __future__ import annotations

import hashlib
import logging
import time

from flask import current_app, request
from limits import parse_many
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter

from app.platform.kvstore import STORE_ERRORS, kv

log = logging.getLogger(__name__)
# While the shared store (Redis) is unreachable, each process counts alone:
# limits stay in force, only less precisely, and no request fails for it.
_fallback = FixedWindowRateLimiter(MemoryStorage())


def client_ip() -> str:
    return request.remote_addr or "unknown"


def allow(scope: str, key: str, limits: str, cost: int = 1) -> bool:
    """Count `cost` hits (one by default) against each of `limits` ("5 per
    minute;20 per day"); False once any of them is exhausted. Fixed windows,
    one atomic counter each."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return True
    digest = _digest(scope, key)
    try:
        ok = True
        for item in parse_many(limits):
            window = item.get_expiry()
            slot = int(time.time() // window)
            count = kv().incr(_counter(digest, item, slot), window + 1, by=cost)
            ok = ok and count <= item.amount
        return ok
    except STORE_ERRORS:
        log.warning("Rate-limit storage unreachable; counting in this process")
        return all(_fallback.hit(item, scope, digest, cost=cost) for item in parse_many(limits))


def blocked_until(scope: str, key: str, limits: str) -> float | None:
    """Without counting: when (epoch seconds) the first exhausted limit's window
    ends, or None while every limit has room. For actions counted only when they
    happen (an SMS sent), so that refused clicks never use up the quota."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return None
    digest = _digest(scope, key)
    now = time.time()
    ends = []
    try:
        for item in parse_many(limits):
            window = item.get_expiry()
            slot = int(now // window)
            if int(kv().get(_counter(digest, item, slot)) or 0) >= item.amount:
                ends.append((slot + 1) * window)
    except STORE_ERRORS:
        log.warning("Rate-limit storage unreachable; counting in this process")
        ends = [now + item.get_expiry() for item in parse_many(limits)
                if not _fallback.test(item, scope, digest)]
    return max(ends) if ends else None


def _digest(scope: str, key: str) -> str:
    # Keys may be phones or ID numbers: store a digest, never the value.
    return hashlib.sha256(f"{scope}:{key}".encode()).hexdigest()[:32]


def _counter(digest: str, item, slot: int) -> str:
    return f"rl:{digest}:{item.amount}/{item.get_expiry()}:{slot}"
