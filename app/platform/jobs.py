"""Background work: tasks are plain functions registered by name, started
with `enqueue(name, …)`; periodic ones also carry their interval.

With REDIS_URL set, `enqueue` puts the task on an RQ queue (JOB_QUEUE) and
`flask worker` runs it, with retries and back-off (JOB_RETRY_DELAYS) for
transient faults; the same worker enqueues the `every=` tasks on schedule.
Without Redis (`make run`, the tests) a task runs at once, in-process, and
its failure is logged rather than raised — the same contract as the queue:
`enqueue` never fails a request because the task failed.

Tasks a person waits for at the screen (a printout) go to their own queue,
the "print" lane, which every worker takes first and a worker started with
`--lanes print` takes alone: they never wait behind a long export, and the
number of such workers bounds the CPU rendering can take from the web.
Batch printouts take the "bulk" lane, served last: however many are queued,
an SMS code or a notification ("main") never waits behind them, and a
worker started with `--lanes main` serves SMS alone.

Work a person waits for (exports, batch printouts) is *tracked*: an
`ExportJob` row holds its state, progress and a heartbeat, so any instance
can show a progress bar, and `recover_stale` re-queues (or fails, with a
message) a job whose worker died — it never stays 运行中.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from datetime import datetime, timedelta
from typing import Callable

from flask import current_app, has_app_context
from sqlalchemy import or_, select, update

from models import ExportJob, clock

log = logging.getLogger(__name__)

TASKS: dict[str, Callable] = {}
PERIODIC: dict[str, timedelta] = {}
RETRIES: dict[str, int] = {}
FAILURE_TTL: dict[str, int] = {}
LANE_OF: dict[str, str] = {}
#: the queues a worker serves, first first: printouts, then everything else (SMS codes among
#: them), then batches of printouts
LANES = ("print", "main", "bulk")

INTERRUPTED = "任务因服务中断未能完成，请重新开始"
FAILED = "任务失败，请重新开始"


def task(name: str, every: timedelta | None = None, retries: int = 3, keep_failed: int = 7 * 86400,
         lane: str = "main"):
    """Register a task; with `every`, it also runs on that schedule. A task
    that raises is tried again up to `retries` times (queue mode); a failed
    one stays in RQ's failed registry `keep_failed` seconds (short for tasks
    whose arguments are secret, such as an SMS text with a code). `lane`
    names its queue (one of LANES)."""
    if lane not in LANES:
        raise ValueError(f"no lane {lane}")
    def register(fn: Callable) -> Callable:
        if name in TASKS and TASKS[name] is not fn:
            raise ValueError(f"task {name} registered twice")
        TASKS[name] = fn
        RETRIES[name] = retries
        FAILURE_TTL[name] = keep_failed
        LANE_OF[name] = lane
        if every is not None:
            PERIODIC[name] = every
        return fn
    return register


def queue_url() -> str | None:
    cfg = current_app.config
    if cfg.get("JOB_INLINE"):
        return None
    return cfg.get("JOB_REDIS_URL") or cfg.get("REDIS_URL")


def queue(lane: str = "main", connection=None):
    """The RQ queue of a lane (JOB_QUEUE, or JOB_QUEUE-<lane>), on a connection
    with short timeouts (a dead Redis must not stall a web worker)."""
    from rq import Queue

    from app.platform.kvstore import connect

    cfg = current_app.config
    conn = connection or connect(queue_url(), cfg.get("REDIS_TIMEOUT", 0.5), read_timeout=10)
    name = cfg.get("JOB_QUEUE", "zc-jobs") + ("" if lane == "main" else f"-{lane}")
    return Queue(name, connection=conn, default_timeout=cfg.get("JOB_TIMEOUT", 1800))


def enqueue(name: str, *args, **kwargs):
    """Start a registered task: on the queue when there is one, else here."""
    if name not in TASKS:
        raise KeyError(f"no task {name}")
    if queue_url():
        import redis
        from rq import Retry

        delays = current_app.config.get("JOB_RETRY_DELAYS", [10, 60, 300])
        try:
            return queue(LANE_OF[name]).enqueue_call(run_task, args=(name, *args), kwargs=kwargs or None, timeout=None,
                                   retry=Retry(max=RETRIES[name], interval=delays) if RETRIES[name] else None,
                                        failure_ttl=FAILURE_TTL[name], result_ttl=0, description=name)
        except redis.RedisError:
            # The queue is unreachable: do the work here rather than lose it.
            log.warning("Job queue unreachable; running task %s in-process", name)
    return run_inline(name, *args, **kwargs)


def run_inline(name: str, *args, **kwargs):
    try:
        return TASKS[name](*args, **kwargs)
    except Exception:  # noqa: BLE001 (queue semantics: a failed task is logged, not raised into the caller)
        log.exception("Task %s failed", name)
        return None


# --- the worker side --------------------------------------------------------

_WORKER_APP = None


def run_task(name: str, *args, **kwargs):
    """What RQ calls in the work horse (a fork of `flask worker`)."""
    from app.platform.extensions import db

    if has_app_context():
        return _call(db, name, args, kwargs)
    with _WORKER_APP.app_context():
        return _call(db, name, args, kwargs)


def _call(db, name, args, kwargs):
    # A forked horse must not share the parent's pooled connections.
    db.engine.dispose(close=False)
    # Each job in its own contexts, as a web request: its own `g` (per-request caches such as
    # the dictionaries' version) and database session, removed when the context ends;
    # templates and url_for work, on the public address (never http://localhost).
    with current_app.app_context(), \
            current_app.test_request_context("/", base_url=current_app.config["PUBLIC_BASE_URL"] + "/"):
        return TASKS[name](*args, **kwargs)


def run_worker(app, burst: bool = False, schedule: bool = True, lanes: tuple[str, ...] = LANES) -> None:
    """`flask worker`: process the queues of `lanes`, in that order; enqueue
    periodic tasks when due."""
    import redis
    from rq import Worker

    global _WORKER_APP
    _WORKER_APP = app
    _own_temp_folder(app)
    with app.app_context():
        first = queue(lanes[0])
        queues = [first, *(queue(lane, first.connection) for lane in lanes[1:])]
        if schedule:
            threading.Thread(target=_scheduler_loop, args=(app,), daemon=True, name="periodic").start()
        worker = Worker(queues, connection=first.connection, name=f"zc-{os.uname().nodename}-{os.getpid()}")
        try:
            worker.work(burst=burst, with_scheduler=True)
        except redis.RedisError:
            log.exception("Worker lost its Redis connection")
            raise


def _own_temp_folder(app) -> None:
    """Temporary files of jobs (openpyxl writes some) go to INSTANCE_DIR/tmp;
    what a killed worker left there, older than any job may run, is removed."""
    import tempfile
    from pathlib import Path

    folder = Path(app.config["INSTANCE_DIR"]) / "tmp"
    folder.mkdir(parents=True, exist_ok=True)
    limit = time.time() - app.config.get("JOB_TIMEOUT", 1800) - 60
    for path in folder.iterdir():
        if path.is_file() and path.stat().st_mtime < limit:
            path.unlink(missing_ok=True)
    tempfile.tempdir = str(folder)
    os.environ["TMPDIR"] = str(folder)


def due_periodic(app) -> list[str]:
    """Enqueue each periodic task whose interval has passed. A Redis key per
    task (SET NX EX) makes this safe with any number of workers."""
    from app.platform.kvstore import connect

    started = []
    with app.app_context():
        conn = connect(queue_url(), app.config.get("REDIS_TIMEOUT", 0.5), read_timeout=10)
        for name, every in PERIODIC.items():
            if conn.set(f"zc:periodic:{name}", str(time.time()), nx=True, ex=max(1, int(every.total_seconds()))):
                enqueue(name)
                started.append(name)
    return started


def _scheduler_loop(app) -> None:
    while True:
        try:
            due_periodic(app)
        except Exception:  # noqa: BLE001 (keep scheduling through a Redis outage)
            log.exception("Periodic scheduling failed")
        time.sleep(app.config.get("JOB_SCHEDULER_SECONDS", 15))


# --- tracked jobs (a person watches their progress) -------------------------

def start_tracked(task_name: str, account_id: int, kind: str, criteria: str, total: int) -> ExportJob:
    from app.platform.extensions import db

    job = ExportJob(account_id=account_id, kind=kind, criteria=criteria, total=total, attempt=1,
                    heartbeat_at=clock.now())
    db.session.add(job)
    db.session.commit()
    enqueue(task_name, job.id, job.attempt)
    db.session.expire(job)
    return job


class Superseded(Exception):
    """This run's attempt was re-queued elsewhere; stop quietly."""


def claim(job_id: int, attempt: int) -> ExportJob | None:
    """Mark the job running for this attempt; None when it is not ours (done,
    failed, or re-queued as a later attempt)."""
    from app.platform.extensions import db

    with db.engine.begin() as conn:
        claimed = conn.execute(update(ExportJob).where(
            ExportJob.id == job_id, ExportJob.attempt == attempt, ExportJob.status.in_(("queued", "running")))
            .values(status="running", done=0, heartbeat_at=clock.now())).rowcount
    return db.session.get(ExportJob, job_id) if claimed else None


def heartbeat(job_id: int, attempt: int, done: int) -> None:
    """Progress, in its own short transaction so every instance sees it."""
    from app.platform.extensions import db

    with db.engine.begin() as conn:
        if not conn.execute(update(ExportJob).where(
                ExportJob.id == job_id, ExportJob.attempt == attempt, ExportJob.status == "running")
                .values(done=done, heartbeat_at=clock.now())).rowcount:
            raise Superseded(job_id)


def finish(job_id: int, attempt: int, **values) -> bool:
    from app.platform.extensions import db

    with db.engine.begin() as conn:
        return conn.execute(update(ExportJob).where(ExportJob.id == job_id, ExportJob.attempt == attempt)
                            .values(finished_at=clock.now(), **values)).rowcount == 1


def fail_or_retry(job_id: int, attempt: int) -> bool:
    """After an exception: True when the queue will try again (state stays
    queued), else the job is failed with a message the person sees."""
    from rq import get_current_job

    current = get_current_job() if queue_url() else None
    if current is not None and (current.retries_left or 0) > 0:
        from app.platform.extensions import db

        with db.engine.begin() as conn:
            conn.execute(update(ExportJob).where(ExportJob.id == job_id, ExportJob.attempt == attempt)
                         .values(status="queued", error="出现临时故障，正在重试"))
        return True
    finish(job_id, attempt, status="failed", error=FAILED)
    return False


def recover_stale(job_id: int | None = None, now: datetime | None = None) -> int:
    """Jobs whose worker died (no heartbeat for JOB_STALE_SECONDS) are queued
    again as a new attempt, or failed after JOB_MAX_ATTEMPTS; an attempt that
    still runs somewhere finds itself superseded at its next heartbeat."""
    from app.platform.extensions import db

    cfg = current_app.config
    now = now or clock.now()
    limit = now - timedelta(seconds=cfg.get("JOB_STALE_SECONDS", 120))
    stmt = select(ExportJob).where(ExportJob.status.in_(("queued", "running")),
                                   or_(ExportJob.heartbeat_at.is_(None), ExportJob.heartbeat_at < limit))
    if job_id is not None:
        stmt = stmt.where(ExportJob.id == job_id)
    recovered = 0
    for job_id_, attempt, status, kind in db.session.execute(
            stmt.with_only_columns(ExportJob.id, ExportJob.attempt, ExportJob.status, ExportJob.kind)).all():
        values = {"heartbeat_at": now, "done": 0}
        again = attempt < cfg.get("JOB_MAX_ATTEMPTS", 3)
        if again:
            values.update(status="queued", attempt=attempt + 1, error=None)
        else:
            values.update(status="failed", error=INTERRUPTED, finished_at=now)
        moved = db.session.execute(update(ExportJob).where(
            ExportJob.id == job_id_, ExportJob.attempt == attempt, ExportJob.status == status)
            .values(**values)).rowcount
        db.session.commit()
        if moved and again:
            log.warning("Job %s had no heartbeat; queued again as attempt %s", job_id_, attempt + 1)
            enqueue(TRACKED_TASKS[kind], job_id_, attempt + 1)
        recovered += moved
    return recovered


#: which task runs a tracked job of each kind (filled by the modules that register them)
TRACKED_TASKS: dict[str, str] = {}


@task("jobs.recover-stale", every=timedelta(minutes=1), retries=0)
def recover_stale_task():
    return recover_stale()
