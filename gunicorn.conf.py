"""Production gunicorn settings (#11): `gunicorn -c gunicorn.conf.py run:app`
(or `scripts/start-web`). Every value can be changed by an environment
variable of the same name in capitals (GUNICORN_…).

Threaded workers (gthread): a client that sends its upload slowly holds one
thread, never a whole worker, so logins go on (issue #10 item 9); the
buffering proxy in deploy/nginx.conf removes even that cost in front."""
import multiprocessing
import os


def _env(name, default):
    value = os.environ.get(name)
    return default if value is None else value


bind = _env("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(_env("GUNICORN_WORKERS", min(2 * multiprocessing.cpu_count() + 1, 9)))
worker_class = "gthread"
threads = int(_env("GUNICORN_THREADS", 8))
# A request may run this long (PDF of a long 评审表); bigger jobs go to the queue.
timeout = int(_env("GUNICORN_TIMEOUT", 60))
# On SIGHUP / SIGTERM (a deploy), running requests get this long to finish.
graceful_timeout = int(_env("GUNICORN_GRACEFUL_TIMEOUT", 30))
keepalive = int(_env("GUNICORN_KEEPALIVE", 5))
# Workers are replaced now and then, a safety net for memory (Pillow's photo
# buffers). Rarely: a new worker and its first requests (imports, routes,
# templates, caches) cost about 1.2 CPU-seconds — replaced every 300 requests,
# the mix cost 10.4 instead of 6.5 CPU-ms per request — and without any
# replacement a worker stayed at 146–147 MB through an hour of the mix with its
# uploads, some 120,000 requests each (scripts/bench/memory.py).
max_requests = int(_env("GUNICORN_MAX_REQUESTS", 50000))
max_requests_jitter = int(_env("GUNICORN_MAX_REQUESTS_JITTER", 5000))
# Each worker builds its own app (no shared connections across a fork).
preload_app = False
# Headers: bounded size and count (uploads are bounded by MAX_CONTENT_LENGTH).
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
accesslog = _env("GUNICORN_ACCESSLOG", "-") or None   # empty: no access log
errorlog = "-"
# The request id the app gives every response (also the incident number on an error page).
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms rid=%({x-request-id}o)s'
forwarded_allow_ips = _env("FORWARDED_ALLOW_IPS", "127.0.0.1")


def pre_request(worker, req):
    close_after_a_body_too_large(req)


def close_after_a_body_too_large(req) -> None:
    """A body above MAX_CONTENT_LENGTH is answered 413 without being read
    (the app reads and discards any smaller unread body itself): the answer
    then says Connection: close, so that a proxy keeping connections alive
    never sends its next request into a connection that is about to close."""
    from config import config_for

    length = next((value for name, value in req.headers if name == "CONTENT-LENGTH"), None)
    chunked = any(name == "TRANSFER-ENCODING" for name, _ in req.headers)
    if chunked or (length is not None and length.isdigit() and int(length) > config_for().MAX_CONTENT_LENGTH):
        req.must_close = True


def post_fork(server, worker):
    return_large_blocks_to_the_system()


def post_worker_init(worker):
    leave_the_app_out_of_collections()


def leave_the_app_out_of_collections() -> None:
    """Python's cycle collector walks every object it tracks. A worker's app
    (modules, routes, the models' metadata, templates) is some 200,000
    objects that live as long as the worker: a full collection walked them
    all, 150 ms now and then in the middle of a request. Frozen once the app
    is loaded, they are never walked again (#13). (A larger youngest
    generation — 10,000 new objects instead of 700 — halved a list page's
    collections in one process but made the mixed load slower under
    gunicorn, so the thresholds stay.)"""
    import gc

    gc.collect()
    gc.freeze()


def return_large_blocks_to_the_system(threshold: int = 128 * 1024) -> bool:
    """glibc serves a freed large block (a decoded photo: tens of MB) from its
    heap the next time and keeps it there: after bursts of uploads a threaded
    worker stayed 60 MB larger. A fixed mmap threshold gives every block over
    128 KB back to the system when it is freed. Not glibc: nothing to do."""
    import ctypes

    try:
        return bool(ctypes.CDLL("libc.so.6").mallopt(-3, threshold))  # -3: M_MMAP_THRESHOLD
    except (OSError, AttributeError):
        return False
