"""Rate limits for the account endpoints, on the limiter Flask-AppBuilder
creates (storage: Redis when configured, so every worker counts together)."""
from __future__ import annotations

import logging

from flask import current_app, request
from limits import parse_many
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter

log = logging.getLogger(__name__)
# While the shared store (Redis) is unreachable, each process counts alone:
# limits stay in force, only less precisely, and no request fails for it.
_fallback = FixedWindowRateLimiter(MemoryStorage())


def client_ip() -> str:
    return request.remote_addr or "unknown"


def allow(scope: str, key: str, limits: str) -> bool:
    """Count one hit against each of `limits` ("5 per minute;20 per day");
    False once any of them is exhausted."""
    limiter = current_app.appbuilder.sm.limiter
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return True
    try:
        return all(limiter.limiter.hit(item, scope, key) for item in parse_many(limits))
    except Exception:  # noqa: BLE001 (the storage's own errors: redis, limits' wrappers)
        log.warning("Rate-limit storage unreachable; counting in this process")
        return all(_fallback.hit(item, scope, key) for item in parse_many(limits))
