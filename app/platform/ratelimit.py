"""Rate limits for the account endpoints, on the limiter Flask-AppBuilder
creates (storage: Redis when configured, so every worker counts together)."""
from __future__ import annotations

from flask import current_app, request
from limits import parse_many


def client_ip() -> str:
    return request.remote_addr or "unknown"


def allow(scope: str, key: str, limits: str) -> bool:
    """Count one hit against each of `limits` ("5 per minute;20 per day");
    False once any of them is exhausted."""
    limiter = current_app.appbuilder.sm.limiter
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return True
    return all(limiter.limiter.hit(item, scope, key) for item in parse_many(limits))
