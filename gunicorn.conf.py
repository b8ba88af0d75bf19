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
# Workers are replaced now and then (memory of PDF rendering and Pillow).
max_requests = int(_env("GUNICORN_MAX_REQUESTS", 2000))
max_requests_jitter = int(_env("GUNICORN_MAX_REQUESTS_JITTER", 200))
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
