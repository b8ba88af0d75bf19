"""统计分析 speed: bulk-inserts N declarations (with their history rows) into a
fresh database, then times the statistics page's 12 tables (and each of the
two queries behind them) for the title office (every declaration) and for one
unit, and the whole page through the app (GET /statistics/, first view).

    scripts/with-postgres postgresql://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python scripts/bench_statistics.py [declarations]
"""
import os
import random
import re
import statistics as stats
import sys
import time
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select, text  # noqa: E402

from app import create_app  # noqa: E402
from app.cli import setup_database  # noqa: E402
from app.data.demo import DEMO_PASSWORD, load_demo  # noqa: E402
from app.insight import statistics as page  # noqa: E402
from app.platform.extensions import db  # noqa: E402
from models import Account, Declaration, Organisation, ReviewEvent  # noqa: E402

ROUTE = ["unit_review", "dept_review", "committee_receive", "committee_review", "office_review"]
ENDS = ROUTE + ["approved", "rejected", "returned"]
STAGE = {"unit_review": 1, "dept_review": 2, "committee_receive": 3, "committee_review": 3, "office_review": 4,
         "approved": 5, "rejected": 5, "returned": 1}
BATCH = 5_000


def fill(n: int) -> None:
    rng = random.Random(14)
    units = db.session.execute(select(Organisation.id, Organisation.parent_id).where(Organisation.kind == "unit")).all()
    committee = db.session.scalar(select(Organisation.id).where(Organisation.kind == "committee"))
    first = (db.session.scalar(select(func.max(Account.id))) or 0) + 1
    start = datetime.now() - timedelta(days=60)
    for base in range(0, n, BATCH):
        size = min(BATCH, n - base)
        accounts, declarations, events = [], [], []
        for i in range(base, base + size):
            aid = first + i
            accounts.append({"id": aid, "first_name": f"申报人{i}", "last_name": "", "username": f"bench{i}",
                             "email": f"bench{i}@example.com", "active": True, "password": "x",
                             "must_change_password": False})
            status = rng.choice(ENDS)
            unit, parent = rng.choice(units)
            entered = start + timedelta(minutes=rng.randint(0, 60 * 24 * 55))
            declarations.append({
                "id": aid, "applicant_id": aid, "year": rng.choice((2025, 2026)), "status": status,
                "series": rng.choice(("04", "05", "25", "22")), "level": rng.choice(("11", "12", "13")),
                "unit_id": unit, "department_id": parent, "committee_id": committee, "reached": STAGE[status],
                "submitted_at": entered, "committee_received": False, "version": 1,
                "certificate_no": f"B-{aid}" if status == "approved" else None,
                "created_at": entered, "updated_at": entered})
            path = ROUTE[: (ROUTE.index(status) if status in ROUTE else rng.randint(1, 5)) + 1]
            at = entered
            for source, target in zip(["draft", *path], [*path, status] if status not in ROUTE else path):
                ended = at + timedelta(hours=rng.randint(1, 24 * 10))
                events.append({"declaration_id": aid, "action": "step", "from_status": source, "to_status": target,
                               "actor_name": "bench", "org_name": "", "opinion": "", "ip": "", "created_at": at,
                               "ended_at": ended})
                at = ended
            events[-1]["ended_at"] = None   # it waits at its latest step still
        db.session.execute(insert(Account), accounts)
        db.session.execute(insert(Declaration), declarations)
        db.session.execute(insert(ReviewEvent), events)
        db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ANALYZE"))
        db.session.commit()


#: the page's two parts, timed one by one: the ten tables of counts (`breakdowns`), and waits with the
#: overdue counts (`waiting_times`)
PARTS = ("breakdowns", "waiting_times")


def timing(name, parts):
    original = getattr(page, name)

    def wrapper(*args):
        t = time.perf_counter()
        out = original(*args)
        parts[name].append(time.perf_counter() - t)
        return out
    return wrapper


def timed(user, runs=5):
    """The 12 tables, and each part of them (median of `runs`)."""
    times, parts = [], defaultdict(list)
    originals = {name: getattr(page, name) for name in PARTS}
    for name in PARTS:
        setattr(page, name, timing(name, parts))
    try:
        for _ in range(runs):
            t = time.perf_counter()
            page.statistics(user, {}, {}, {})
            times.append(time.perf_counter() - t)
            db.session.rollback()
    finally:
        for name, function in originals.items():
            setattr(page, name, function)
    return stats.median(times), max(times), {label: stats.median(ts) for label, ts in parts.items()}


def page_time(app, username, runs=5):
    """The whole page as the browser receives it, first view (nothing kept), median of `runs`."""
    app.config.update(STATISTICS_CACHE_SECONDS=0, CAPTCHA_FIXED_CODE="BENCH")
    client = app.test_client()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/login/").get_data(as_text=True))
    client.post("/login/", data={"username": username, "password": DEMO_PASSWORD, "captcha": "BENCH",
                                 "csrf_token": token.group(1)})
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        response = client.get("/statistics/")
        times.append(time.perf_counter() - t)
        assert response.status_code == 200, response.status_code
    return stats.median(times)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    app = create_app("test", {"SQLALCHEMY_DATABASE_URI": os.environ.get("DATABASE_URL", "sqlite:////tmp/bench_stats.db")})
    with app.app_context():
        setup_database()
        load_demo()
        if n:   # 0: time the declarations already there
            t = time.perf_counter()
            fill(n)
            print(f"{db.engine.dialect.name}: inserted {n:,} declarations in {time.perf_counter() - t:.0f} s")
        total = db.session.scalar(select(func.count(Declaration.id)))
        print(f"{db.engine.dialect.name}: {total:,} declarations")
        for username in ("zcb", "baili_hr"):
            user = db.session.scalar(select(Account).where(Account.username == username))
            median, worst, parts = timed(user)
            print(f"statistics page for {username}: median {median * 1000:.0f} ms, slowest {worst * 1000:.0f} ms "
                  f"(12 tables, 5 runs)")
            for label, seconds in parts.items():
                print(f"    {label:<16} {seconds * 1000:6.0f} ms")
    for username in ("zcb", "baili_hr"):   # outside the app context above: each request has its own
        print(f"the whole page (GET /statistics/) for {username}: median {page_time(app, username) * 1000:.0f} ms "
              f"(5 runs)")


if __name__ == "__main__":
    main()
