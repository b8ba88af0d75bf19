"""Worker memory under a long deadline-night load: starts the application
under gunicorn in production settings (gunicorn.conf.py) and drives the mixed
scenario of run.py for `--minutes`, printing every `--every` minutes the
resident memory of each worker, the requests served and the p95 latency.

    .venv/bin/python scripts/bench/memory.py postgresql://postgres@127.0.0.1:5432/zc_bench \
        [--minutes 60] [--every 5] [--workers 4] [--connections 4] [--max-requests 0]

`--max-requests 0` (the default here) turns gunicorn's worker recycling off,
so the figures show what a worker keeps, not what a restart hides. The
database must have been seeded by seed.py. The mix's approvals run out after
some 500 (each of 百利's waiting declarations is approved once); after that
they are refused (the page says so) and counted under errors, a lighter
request than an approval.
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import MIX, ROOT, Server, arguments, bench_env, children, clear_redis, drive, prepare, rss_mb  # noqa: E402


def main():
    parser = arguments(__doc__, connections=4)
    parser.add_argument("--minutes", type=float, default=60)
    parser.add_argument("--every", type=float, default=5)
    parser.add_argument("--max-requests", type=int, default=0)
    args = parser.parse_args()
    url = args.database.replace("postgresql+psycopg://", "postgresql://")
    env = dict(bench_env(url, args.redis), GUNICORN_MAX_REQUESTS=str(args.max_requests))
    clear_redis(args.redis)
    _capture, info = prepare(ROOT, env)
    app = Server("run:app", ROOT, env, args.workers)
    names, weights = list(MIX), list(MIX.values())
    print(f"gunicorn.conf.py, {args.workers} workers, max_requests {args.max_requests}, {args.connections} "
          f"connections, mixed load for {args.minutes:g} min", flush=True)
    print("| minute | requests | req/s | p95 ms | errors | worker RSS MB |", flush=True)
    print("|---|---|---|---|---|---|", flush=True)
    started, total = time.time(), 0
    try:
        while time.time() - started < args.minutes * 60:
            latencies, errors = drive(app.port, names, weights, info, args.every * 60, args.connections, False)
            total += len(latencies)
            p95 = statistics.quantiles(latencies, n=20)[18] * 1000 if len(latencies) > 1 else 0
            rss = ", ".join(f"{rss_mb(p):.0f}" for p in children(app.proc.pid))
            print(f"| {(time.time() - started) / 60:.0f} | {total} | {len(latencies) / (args.every * 60):.0f} | "
                  f"{p95:.0f} | {errors} | {rss} |", flush=True)
    finally:
        app.stop()


if __name__ == "__main__":
    main()
