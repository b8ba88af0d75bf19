"""Liveness and readiness (#11): `/healthz` says the process answers;
`/readyz` checks each service it depends on — database, Redis, storage, job
queue — with its state and latency, and never shows a setting or a secret."""
from __future__ import annotations

import time

from flask import current_app
from sqlalchemy import text

from app.platform.extensions import db


def _timed(check) -> dict:
    started = time.perf_counter()
    try:
        detail = check() or {}
        state = "ok"
    except Exception as exc:  # noqa: BLE001 (any failure is "down", by type only: no secrets)
        detail, state = {"error": type(exc).__name__}, "down"
    return {"state": state, "ms": round((time.perf_counter() - started) * 1000, 1), **detail}


def _database():
    with db.engine.connect() as conn:
        conn.execute(text("SELECT 1"))


def _redis():
    from app.platform.kvstore import RedisStore, kv

    store = kv()
    if not isinstance(store, RedisStore):
        return {"note": "not configured (database store)"}
    store.r.ping()
    return None


def _storage():
    from app.platform.storage import storage

    store = storage()
    store.ping()
    return {"backend": store.name}


def _queue():
    from app.platform.jobs import queue, queue_url

    if not queue_url():
        return {"note": "in-process (no queue configured)"}
    from rq import Worker

    q, printing, bulk = queue(), queue("print"), queue("bulk")
    return {"waiting": q.count, "workers": Worker.count(queue=q), "failed": q.failed_job_registry.count,
            "print_waiting": printing.count, "print_workers": Worker.count(queue=printing),
            "bulk_waiting": bulk.count, "bulk_workers": Worker.count(queue=bulk)}


CHECKS = {"database": _database, "redis": _redis, "storage": _storage, "queue": _queue}


def readiness() -> tuple[bool, dict]:
    results = {name: _timed(check) for name, check in CHECKS.items()}
    # Without a worker the queue fills up but nothing is lost: reported, not fatal.
    ready = all(r["state"] == "ok" for r in results.values())
    return ready, results


def register_health(app) -> None:
    @app.route("/healthz", endpoint="healthz")
    def healthz():
        return {"status": "ok"}

    @app.route("/readyz", endpoint="readyz")
    def readyz():
        ready, checks = readiness()
        if not ready:
            current_app.logger.warning("Not ready: %s", {k: v["state"] for k, v in checks.items()})
        return {"status": "ok" if ready else "unavailable", "checks": checks}, 200 if ready else 503
