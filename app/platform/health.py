"""Liveness and readiness (#11): `/healthz` says the process answers;
`/readyz` checks each service it depends on — database, Redis, storage, job
queue, local disk — with its state and latency, and never shows a setting
or a secret. The storage gets its own short budget (READYZ_STORAGE_SECONDS):
a bucket that hangs is reported down, it does not hang the probe."""
from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from flask import current_app
from sqlalchemy import text

from app.platform.extensions import db


def _timed(check) -> dict:
    started = time.perf_counter()
    try:
        detail = check() or {}
        state = "ok"
    except Exception as exc:  # noqa: BLE001 (any failure is "down", by type only: no secrets)
        detail, state = {"error": type(exc).__name__, **getattr(exc, "detail", {})}, "down"
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
    store.ping(budget=current_app.config["READYZ_STORAGE_SECONDS"])
    return {"backend": store.name}


class DiskNearlyFull(Exception):
    def __init__(self, detail: dict):
        super().__init__("disk nearly full")
        self.detail = detail


def _free_percent(path: str) -> float:
    place = Path(path)
    while not place.exists() and place != place.parent:   # a folder not made yet: the disk it will be on
        place = place.parent
    usage = shutil.disk_usage(place)
    return usage.free * 100 / usage.total if usage.total else 100.0


def _disk():
    """This host's disk (the instance folder, temporary files — uploads are
    spooled there —, and local uploads): below READYZ_DISK_MIN_FREE_PERCENT
    free, saving fails soon. Places by name only, never their paths."""
    cfg = current_app.config
    places = {"instance": cfg["INSTANCE_DIR"], "temp": tempfile.gettempdir()}
    if cfg.get("STORAGE_BACKEND", "local") == "local":
        places["uploads"] = cfg["UPLOAD_DIR"]
    free = {name: round(_free_percent(path), 1) for name, path in places.items()}
    detail = {"free_percent": free}
    if min(free.values()) < cfg["READYZ_DISK_MIN_FREE_PERCENT"]:
        raise DiskNearlyFull(detail)
    return detail


def _queue():
    from app.platform.jobs import queue, queue_url

    if not queue_url():
        return {"note": "in-process (no queue configured)"}
    from rq import Worker

    q, printing, bulk = queue(), queue("print"), queue("bulk")
    return {"waiting": q.count, "workers": Worker.count(queue=q), "failed": q.failed_job_registry.count,
            "print_waiting": printing.count, "print_workers": Worker.count(queue=printing),
            "bulk_waiting": bulk.count, "bulk_workers": Worker.count(queue=bulk)}


CHECKS = {"database": _database, "redis": _redis, "storage": _storage, "queue": _queue, "disk": _disk}


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
