"""Instructions per request of each benchmarked page, counted by valgrind's
callgrind in one application process: unlike CPU time, the count does not
move with what else the machine is doing, so two checkouts compare exactly
on a shared, noisy machine. Counts the application's Python process only (not
PostgreSQL, Redis or gunicorn) and runs the pages through Flask's test client.

    .venv/bin/python scripts/bench/instructions.py postgresql://postgres@127.0.0.1:5432/zc_bench \
        [--requests 20] [--app-dir <another checkout>]

About two minutes for 20 requests a page (valgrind runs the code some 50×
slower). The database must have been seeded by seed.py. The save page is
posted with the same form again and again: after the first save the form's
version is stale, so the answer is the page with 已在其他页面修改.
"""
from __future__ import annotations

import pickle
import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import ROOT, arguments, bench_env, clear_redis, prepare  # noqa: E402

WARM_UP = 10


def drive(capture: str, requests: int) -> None:
    """Inside valgrind: warm every page, then on each line from stdin run one
    page `requests` times and say so."""
    from prepare import requester   # (it puts the measured checkout first on the path)
    from traffic import Targets

    from app import create_app

    with open(capture, "rb") as fh:
        info = pickle.load(fh)
    app = create_app()
    pages = {name: requester(app, info["people"], *page[:4], Targets(info["pools"].get(name, [])))
             for name, page in info["pages"].items()}
    for run_page in pages.values():
        for _ in range(WARM_UP):
            run_page()
    print("ready", flush=True)
    for name, run_page in pages.items():
        sys.stdin.readline()
        for _ in range(requests):
            run_page()
        print(name, flush=True)


def main():
    if sys.argv[1:2] == ["--drive"]:
        return drive(sys.argv[2], int(sys.argv[3]))
    parser = arguments(__doc__, connections=1)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--app-dir", default=str(ROOT))
    args = parser.parse_args()
    url = args.database.replace("postgresql+psycopg://", "postgresql://")
    app_dir = Path(args.app_dir).resolve()
    env = bench_env(url, args.redis)
    clear_redis(args.redis)
    capture, info = prepare(app_dir, env)
    out = Path(tempfile.mkdtemp(prefix="zc-callgrind-"))
    proc = subprocess.Popen(
        ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}/cg.%p",
         str(ROOT / ".venv/bin/python"), __file__, "--drive", str(capture), str(args.requests)],
        cwd=app_dir, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    if proc.stdout.readline().strip() != "ready":
        raise SystemExit("the application did not start under valgrind")
    control = ["callgrind_control"]
    subprocess.run([*control, "--instr=on", str(proc.pid)], check=True, capture_output=True)
    counts = {}
    for name in info["pages"]:
        subprocess.run([*control, "--zero", str(proc.pid)], check=True, capture_output=True)
        proc.stdin.write("go\n")
        proc.stdin.flush()
        proc.stdout.readline()
        subprocess.run([*control, f"--dump={name}", str(proc.pid)], check=True, capture_output=True)
        counts[name] = _dumped_total(out, name)
    proc.stdin.close()
    proc.wait(60)
    print(f"\ninstructions per request (callgrind, {args.requests} requests a page, in-process), app {app_dir}")
    print("| page | M instructions/request |\n|---|---|")
    for name, total in counts.items():
        print(f"| {name} | {total / args.requests / 1e6:.1f} |")


def _dumped_total(folder: Path, name: str) -> int:
    for path in folder.glob("cg.*"):
        text = path.read_text(errors="replace")
        if re.search(rf"^desc: Trigger: .*\b{re.escape(name)}$", text, re.M):
            return int(re.search(r"^(?:summary|totals): (\d+)", text, re.M).group(1))
    raise SystemExit(f"no callgrind dump for {name}")


if __name__ == "__main__":
    main()
