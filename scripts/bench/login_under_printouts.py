"""Logins while printouts are rendered (#10 item 10): the production server
(gunicorn.conf.py, 2 threaded workers) on PostgreSQL + Redis, two clients
signing in over and over (the login page, then the JSON login with a real
password check), while

  * nobody prints (the floor),
  * one reviewer loops four parallel 评审表 PDFs of ever other declarations
    (nothing kept to reuse),
  * four reviewers do so at once (the per-person limits do not help),

first with printouts rendered in the web request (JOB_INLINE=1, as before),
then on the job worker's print lane (scripts/start-worker, as in production). Prints one table:
login p50/p95 and the PDFs delivered / refused per phase.

    .venv/bin/python scripts/bench/login_under_printouts.py \
        [postgresql://postgres@127.0.0.1:5432/zc_login_bench] [--seconds 20] [--workers 2]
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))   # first: its run.py, not the app's

from run import UA, children, free_port  # noqa: E402
from seed import FIELD_KEYS, PUBLIC_ADDRESS  # noqa: E402

APPLICANT = "120101199003070013"      # the demo applicant (`flask demo`)
PASSWORD = "Demo2026"                 # nosec B105 - the documented demo password
PRINTERS = ("zcb", "gc_pwh", "gxj_zc", "baili_hr")


def start(cmd: list[str], env: dict, port: int | None = None, workers: int = 0) -> subprocess.Popen:
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    if port:
        import socket
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                if len(children(proc.pid)) >= workers:
                    return proc
            except OSError:
                pass
            time.sleep(0.3)
        raise SystemExit("the server did not start")
    return proc


def stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(60)


def request(port, method, path, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request(method, path, body=body, headers={"User-Agent": UA, **(headers or {})})
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()


def people(app) -> dict:
    """Signed-in sessions of the printing reviewers and the declarations each may print."""
    from sqlalchemy import select

    from app.platform.extensions import db
    from models import Account, Declaration
    from permissions.scopes import visible_declarations
    from prepare import sign_in

    out = {}
    with app.app_context():
        for name in PRINTERS:
            account = db.session.scalar(select(Account).where(Account.username == name))
            ids = db.session.scalars(select(Declaration.id).where(
                visible_declarations(account), Declaration.status != "draft").order_by(Declaration.id)
                .limit(400)).all()
            out[name] = (sign_in(app, account)[0], list(ids))
    return out


def phase(port: int, seconds: float, printers: dict) -> dict:
    stop_at = time.time() + seconds
    logins, pages, pdfs = [], [], Counter()
    body = json.dumps({"username": APPLICANT, "password": PASSWORD})

    def login_loop():
        while time.time() < stop_at:
            t = time.perf_counter()
            request(port, "GET", "/login/")
            pages.append(time.perf_counter() - t)
            t = time.perf_counter()
            status = request(port, "POST", "/api/v1/security/login", body, {"Content-Type": "application/json"})
            logins.append(time.perf_counter() - t)
            if status != 200:
                pdfs["login failed"] += 1

    def print_loop(sid, ids, offset, step):
        n = offset
        while time.time() < stop_at:
            status = request(port, "GET", f"/print/{ids[n % len(ids)]}/review.pdf", None,
                             {"Cookie": f"zc_session={sid}"})
            pdfs[status] += 1
            n += step

    threads = [threading.Thread(target=login_loop) for _ in range(2)]
    for printer in printers:
        threads.append(threading.Thread(target=print_loop, args=printer))
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    def p(values, q):
        return (statistics.quantiles(values, n=20)[18] if q == 95 else statistics.median(values)) * 1000

    return {"page p50": p(pages, 50), "page p95": p(pages, 95), "login p50": p(logins, 50),
            "login p95": p(logins, 95), "logins": len(logins), "pdfs": dict(pdfs)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("database", nargs="?", default="postgresql://postgres@127.0.0.1:5432/zc_login_bench")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--declarations", type=int, default=2000)
    args = parser.parse_args()
    python = str(ROOT / ".venv/bin/python")
    subprocess.run([python, str(BENCH / "seed.py"), args.database, str(args.declarations)], check=True,
                   stdout=subprocess.DEVNULL)
    import redis
    store = redis.Redis.from_url(args.redis)
    env = dict(os.environ, ENV="production", SECRET_KEY="bench-" + "k" * 40, DATABASE_URL=args.database,
               REDIS_URL=args.redis, RATE_LIMIT_LOGIN="100000 per minute", RATE_LIMIT_LOGIN_PER_IP="1000000 per hour",
               AUTH_RATE_LIMIT="100000 per minute", GUNICORN_WORKERS=str(args.workers), GUNICORN_ACCESSLOG="",
               PYTHONDONTWRITEBYTECODE="1", JOB_QUEUE="zc-bench-print", **FIELD_KEYS,
               **PUBLIC_ADDRESS)
    env.pop("CAPTCHA_FIXED_CODE", None)
    os.environ.update(env)
    from app import create_app
    app = create_app()
    rows = []
    for where in ("in the web request", "on the job worker"):
        for key in store.scan_iter("zc:*"):   # nothing kept from the previous pass
            store.delete(key)
        for key in store.scan_iter("rq:*zc-bench-print*"):
            store.delete(key)
        sessions = people(app)
        one = [(sessions["zcb"][0], sessions["zcb"][1], i, 4) for i in range(4)]
        four, taken = [], set()
        for sid, ids in sessions.values():   # each reviewer prints declarations no other one prints
            mine = [i for i in ids if i not in taken][:100]
            taken.update(mine)
            four.append((sid, mine, 0, 1))
        port = free_port()
        # a storage of this pass only: no printout kept by the previous one
        web_env = dict(env, GUNICORN_BIND=f"127.0.0.1:{port}", JOB_INLINE="1" if where.startswith("in") else "0",
                       UPLOAD_DIR=tempfile.mkdtemp(prefix="zc-login-bench-"))
        web = start([str(ROOT / ".venv/bin/gunicorn"), "-c", "gunicorn.conf.py", "run:app"], web_env, port,
                    args.workers)
        worker = None if where.startswith("in") else start([str(ROOT / "scripts/start-worker"), "--no-schedule"],
                                                           web_env)
        try:
            request(port, "GET", "/login/")
            for name, printers in (("nobody prints", []), ("one reviewer, 4 parallel PDFs", one),
                                   ("four reviewers printing", four)):
                rows.append((where, name, phase(port, args.seconds, printers)))
                print(f"  {where}, {name}: done", file=sys.stderr)
                time.sleep(2)
        finally:
            stop(web)
            if worker:
                stop(worker)
    print(f"\n{args.workers} gthread workers (gunicorn.conf.py), 2 clients signing in, {args.seconds:g} s per phase")
    print("| printouts rendered | load | login page p50 / p95 ms | JSON login p50 / p95 ms | logins | PDF answers |")
    print("|---|---|---|---|---|---|")
    for where, name, r in rows:
        answers = ", ".join(f"{k}: {v}" for k, v in sorted(r["pdfs"].items(), key=str))
        print(f"| {where} | {name} | {r['page p50']:.0f} / {r['page p95']:.0f} | "
              f"{r['login p50']:.0f} / {r['login p95']:.0f} | {r['logins']} | {answers or '—'} |")


if __name__ == "__main__":
    main()
