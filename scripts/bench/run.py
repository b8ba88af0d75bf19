"""Deadline-night benchmark: the application under gunicorn in production
settings (gunicorn.conf.py, for the floor too) beside a bare-Flask floor
running the same SQL, driven from a
loopback client for a bounded time per scenario; prints one table.

    .venv/bin/python scripts/bench/seed.py postgresql://postgres@127.0.0.1:5432/zc_bench 100000
    .venv/bin/python scripts/bench/run.py postgresql://postgres@127.0.0.1:5432/zc_bench \
        [--seconds 15] [--workers 4] [--connections 8] [--redis redis://127.0.0.1:6379/13] [--app-dir .]

CPU-ms per request are read from /proc: the gunicorn master and workers for
the app, the PostgreSQL backends connected to the benchmark database for the
database. SQL per request is counted while run.py signs in and captures each
page (the same code, the same request). `--app-dir` measures another checkout
(e.g. `git worktree add /tmp/before <commit>`) against the same database.
"""
from __future__ import annotations

import argparse
import http.client
import os
import pickle
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psycopg
from traffic import Targets, answered_as_expected, form_body

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parents[1]
UA = "zc-bench/1"
TICK = os.sysconf("SC_CLK_TCK")
MIX = {"login": 8, "basic": 13, "papers": 10, "save": 8, "add_row": 4, "upload": 3, "review_list": 20,
       "unit_list": 6, "review_show": 17, "approve": 3, "unit_search": 8}
#: measured alone too (not the approvals: each declaration can be approved once)
SINGLE = ["login", "basic", "papers", "save", "add_row", "upload", "review_list", "unit_list", "review_show",
          "unit_search"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_ticks(pid: int, reaped: bool = False) -> int:
    """utime + stime of a process; with `reaped`, also those of its children
    that have ended (a gunicorn worker replaced during a run: its CPU moves
    to the master's count when the master reaps it)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if reaped else 0)
    except (FileNotFoundError, ProcessLookupError):
        return 0


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Server:
    def __init__(self, wsgi: str, cwd: Path, env: dict, workers: int):
        self.port = free_port()
        self.proc = subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "-w", str(workers),
             "-b", f"127.0.0.1:{self.port}", "--timeout", "120", "--log-level", "warning", wsgi],
            cwd=cwd, env=env, stdout=subprocess.DEVNULL)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                if len(children(self.proc.pid)) >= workers:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise SystemExit(f"{wsgi} did not start")

    def cpu_ticks(self) -> int:
        """The master, its workers, and the workers replaced meanwhile (new
        ones are counted from their start, so their start-up cost counts)."""
        return cpu_ticks(self.proc.pid, reaped=True) + sum(cpu_ticks(p) for p in children(self.proc.pid))

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(30)


def pg_pids(url: str, dbname: str) -> list[int]:
    with psycopg.connect(url) as conn:
        return [p for (p,) in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> "
                                           "pg_backend_pid()", (dbname,))]


def drive(port, names, weights, info, seconds, connections, floor):
    """Requests from `connections` threads for `seconds`; returns latencies and errors."""
    people, pages = info["people"], info["pages"]
    latencies, errors = [], [0]
    stop = time.time() + seconds

    def worker(seed):
        rnd = random.Random(f"{seed}:{stop}")  # another sequence for every call (memory.py calls it again and again)
        # each connection is its own applicants' browser: one person's writes never race each other
        mine = people["applicants"][seed::connections] or people["applicants"]
        while time.time() < stop:
            name = rnd.choices(names, weights)[0]
            method, path, who, fields, expected = pages[name]
            if floor and isinstance(expected, tuple):
                expected = expected[0]  # the floor answers with the status alone
            elif name in info["targets"]:
                path, fields = info["targets"][name].aim(path, fields)
            sid, token = rnd.choice(mine) if who == "applicant" else people.get(who, (None, None))
            headers = {"User-Agent": UA}
            body = None
            if sid:
                headers["Cookie"] = f"zc_session={sid}"
            if fields is not None:
                body, headers["Content-Type"] = form_body(fields, token)
            started = time.perf_counter()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                conn.request(method, f"/floor/{name}" if floor else path, body=body, headers=headers)
                resp = conn.getresponse()
                resp.read()
                conn.close()
                ok = answered_as_expected(resp.status, resp.getheader("Location", ""), expected)
            except OSError:
                ok = False
            latencies.append(time.perf_counter() - started)
            if not ok:
                errors[0] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors[0]


def measure(server, url, dbname, names, weights, info, seconds, connections, floor):
    drive(server.port, names, weights, info, 1.5, connections, floor)  # warm up
    app0, db0 = server.cpu_ticks(), {p: cpu_ticks(p) for p in pg_pids(url, dbname)}
    started = time.time()
    latencies, errors = drive(server.port, names, weights, info, seconds, connections, floor)
    elapsed = time.time() - started
    app_ms = (server.cpu_ticks() - app0) * 1000 / TICK
    db_ms = sum(cpu_ticks(p) - db0.get(p, 0) for p in pg_pids(url, dbname)) * 1000 / TICK
    n = max(1, len(latencies))
    q = statistics.quantiles(latencies, n=20) if len(latencies) > 1 else [0] * 19
    return {"rps": len(latencies) / elapsed, "p50": statistics.median(latencies) * 1000 if latencies else 0,
            "p95": q[18] * 1000, "app_ms": app_ms / n, "db_ms": db_ms / n, "errors": errors, "n": len(latencies)}


def bench_env(url: str, redis_url: str) -> dict:
    """Production settings against the benchmark database and Redis database."""
    sys.path.insert(0, str(BENCH))
    from seed import FIELD_KEYS, PUBLIC_ADDRESS, UPLOADS

    env = dict(os.environ, ENV="production", SECRET_KEY="bench-" + "k" * 40, DATABASE_URL=url, **FIELD_KEYS,
               **PUBLIC_ADDRESS,
               REDIS_URL=redis_url, RATELIMIT_ENABLED="0", PYTHONDONTWRITEBYTECODE="1", UPLOAD_DIR=str(UPLOADS))
    env.pop("CAPTCHA_FIXED_CODE", None)
    return env


def clear_redis(redis_url: str):
    import redis

    store = redis.Redis.from_url(redis_url)
    for key in store.scan_iter("zc:*"):  # the benchmark's own Redis database
        store.delete(key)
    return store


def prepare(app_dir: Path, env: dict):
    """Signs the benchmark's people in and captures every page (prepare.py)."""
    capture = Path(tempfile.mkdtemp(prefix="zc-bench-")) / "capture.pickle"
    subprocess.run([str(ROOT / ".venv/bin/python"), str(BENCH / "prepare.py"), str(capture)], cwd=app_dir, env=env,
                   check=True, stderr=subprocess.DEVNULL if os.environ.get("BENCH_QUIET") else None)
    with open(capture, "rb") as fh:
        info = pickle.load(fh)
    info["targets"] = {name: Targets(pool) for name, pool in info["pools"].items()}
    return capture, info


def arguments(doc: str, connections: int) -> argparse.ArgumentParser:
    """The options every benchmark script of this folder takes."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("database")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--connections", type=int, default=connections)
    parser.add_argument("--redis", default=os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/13"))
    return parser


def main():
    parser = arguments(__doc__, connections=8)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--app-dir", default=str(ROOT))
    parser.add_argument("--only", help="comma-separated scenarios (mixed and page names)")
    args = parser.parse_args()
    url = args.database.replace("postgresql+psycopg://", "postgresql://")
    dbname = url.rsplit("/", 1)[1]
    app_dir = Path(args.app_dir).resolve()
    env = bench_env(url, args.redis)
    store = clear_redis(args.redis)
    capture, info = prepare(app_dir, env)
    sql = {name: len(c[0]) for name, c in info["captures"].items()}
    sizes = {name: len(c[2]) for name, c in info["captures"].items()}
    scenarios = [*SINGLE, "mixed"]   # the mix last: every worker has met every page by then
    if args.only:
        scenarios = [s for s in scenarios if s in args.only.split(",")]
    app = Server("run:app", app_dir, env, args.workers)
    floor = Server("floor:app", BENCH, dict(env, BENCH_CAPTURE=str(capture)), args.workers)
    results = {}
    try:
        for scenario in scenarios:
            names, weights = (list(MIX), list(MIX.values())) if scenario == "mixed" else ([scenario], [1])
            keys_before = sum(1 for _ in store.scan_iter("zc:session:*"))
            a = measure(app, url, dbname, names, weights, info, args.seconds, args.connections, False)
            a["sessions"] = sum(1 for _ in store.scan_iter("zc:session:*")) - keys_before
            f = measure(floor, url, dbname, names, weights, info, args.seconds, args.connections, True)
            results[scenario] = (a, f)
            print(f"  {scenario}: done", file=sys.stderr)
        rss = [rss_mb(p) for p in children(app.proc.pid)]
    finally:
        app.stop()
        floor.stop()

    def weighted(d):
        total = sum(MIX.values())
        return sum(d[k] * w for k, w in MIX.items()) / total

    print(f"\ngunicorn.conf.py with {args.workers} workers (both servers), {args.connections} connections, "
          f"{args.seconds:g} s per scenario, "
          f"database {dbname}, app {app_dir}")
    print("| scenario | req/s | p50 ms | p95 ms | app CPU-ms/req | PG CPU-ms/req | SQL/req | KB | floor req/s |"
          " floor app CPU-ms | app CPU ÷ floor | errors | new sessions |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for scenario, (a, f) in results.items():
        n_sql = weighted(sql) if scenario == "mixed" else sql[scenario]
        kb = weighted(sizes) / 1024 if scenario == "mixed" else sizes[scenario] / 1024
        ratio = a["app_ms"] / f["app_ms"] if f["app_ms"] else float("nan")
        print(f"| {scenario} | {a['rps']:.0f} | {a['p50']:.0f} | {a['p95']:.0f} | {a['app_ms']:.1f} | "
              f"{a['db_ms']:.1f} | {n_sql:.1f} | {kb:.0f} | {f['rps']:.0f} | {f['app_ms']:.1f} | {ratio:.2f} | "
              f"{a['errors']} | {a['sessions']} |")
    print(f"worker memory after the run: {', '.join(f'{m:.0f}' for m in rss)} MB")


if __name__ == "__main__":
    main()
