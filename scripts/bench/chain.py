"""What every request of the application pays before and after its page's own
work — the request chain: the session read from Redis, the signed-in person
with roles, groups and unit, the CSRF token, the CSP nonce, the security
headers, the request id, the session-store check, the read-only commit —
measured on an endpoint that returns a constant, beside a bare Flask app that
returns the same constant and beside the floor's pages (floor.py: the page's
captured SQL through the driver, then its bytes). All in one process through
Flask's test client (which costs both sides the same), CPU time per request,
the median of several rounds taken in turn.

A page of the application costs at least its chain; the floor's page costs
its SQL and nothing else. So "chain ÷ floor" is the lowest ratio to the floor
the page could reach with its own work made free (say, a rendered page kept).

    .venv/bin/python scripts/bench/chain.py postgresql://postgres@127.0.0.1:5432/zc_bench \
        [--requests 300] [--rounds 5]
"""
from __future__ import annotations

import os
import pickle
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import ROOT, arguments, bench_env, clear_redis, prepare  # noqa: E402

PAGES = ("login", "unit_search", "papers", "basic", "review_list", "review_show")
CONSTANT = "/bench-constant"


def measure(capture: str, requests: int, rounds: int) -> None:
    from flask import Flask
    from prepare import requester
    from traffic import Targets

    from app import create_app

    with open(capture, "rb") as fh:
        info = pickle.load(fh)
    app = create_app()
    app.add_url_rule(CONSTANT, "bench_constant", lambda: {"ok": 1})
    bare = Flask("bare")
    bare.add_url_rule(CONSTANT, "bench_constant", lambda: {"ok": 1})
    import floor  # reads BENCH_CAPTURE

    floor_client, bare_client = floor.app.test_client(), bare.test_client()
    people = {None: "anonymous visitor", "applicant": "signed-in applicant", "zcb": "signed-in 职称办 reviewer"}
    runs = {"bare Flask, constant": lambda: bare_client.get(CONSTANT)}
    for who, label in people.items():
        runs[f"chain, {label}"] = requester(app, info["people"], "GET", CONSTANT, who, None)
    for name in PAGES:
        runs[f"app: {name}"] = requester(app, info["people"], *info["pages"][name][:4],
                                         Targets(info["pools"].get(name, [])))
        runs[f"floor: {name}"] = (lambda n: lambda: floor_client.get(f"/floor/{n}"))(name)
    for run in runs.values():
        for _ in range(30):
            run()
    taken = {name: [] for name in runs}
    for _ in range(rounds):
        for name, run in runs.items():
            started = time.process_time()
            for _ in range(requests):
                run()
            taken[name].append((time.process_time() - started) / requests * 1000)
    ms = {name: statistics.median(values) for name, values in taken.items()}

    print(f"\nCPU-ms per request in one process ({requests} requests × {rounds} rounds, median), app {os.getcwd()}")
    print("| request | CPU-ms |\n|---|---|")
    for name in list(runs)[:1 + len(people)]:
        print(f"| {name} | {ms[name]:.2f} |")
    print("\n| page | app | floor | app ÷ floor | chain ÷ floor (the page's own work free) |\n|---|---|---|---|---|")
    for name in PAGES:
        who = people[info["pages"][name][2]]
        app_ms, floor_ms = ms[f"app: {name}"], ms[f"floor: {name}"]
        print(f"| {name} | {app_ms:.2f} | {floor_ms:.2f} | {app_ms / floor_ms:.1f} | "
              f"{ms[f'chain, {who}'] / floor_ms:.1f} |")


def main():
    if sys.argv[1:2] == ["--measure"]:
        return measure(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    parser = arguments(__doc__, connections=1)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    url = args.database.replace("postgresql+psycopg://", "postgresql://")
    env = bench_env(url, args.redis)
    clear_redis(args.redis)
    capture, _info = prepare(ROOT, env)
    env["BENCH_CAPTURE"] = str(capture)
    os.chdir(ROOT)
    os.execve(sys.executable, [sys.executable, __file__, "--measure", str(capture), str(args.requests),
                               str(args.rounds)], env)


if __name__ == "__main__":
    main()
