"""List export speed, end to end: the reviewers' export query (plain rows,
yield_per) and the streaming writer, for 职称办's whole list, in rows per
second and growth of the process's peak memory (RSS: no tracemalloc, which
slows Python code about 12×).

    DATABASE_URL=postgresql://…/zc_bench .venv/bin/python scripts/bench_export.py
    .venv/bin/python scripts/bench_export.py 20000       # the writer alone, synthetic rows
"""
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reports.workbooks import write_rows  # noqa: E402


def synthetic(n):
    yield [f"列{i}" for i in range(11)]
    for i in range(n):
        yield [i, "张明", "1201**********0013", "138****0001", "天津百利机械装备集团有限公司", "工程技术人员",
               "副高级", 2026, "待单位审核", "2026-11-26 07:20", "=不是公式"]


def main():
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if os.environ.get("DATABASE_URL"):
        from flask import g
        from sqlalchemy import select

        from app import create_app
        from app.platform.extensions import db
        from app.review.lists import export_query
        from app.review.sheets import list_rows_for_export
        from models import Account
        from reports.exports import sees_full_identifiers

        app = create_app()
        with app.test_request_context():
            g.user = db.session.scalar(select(Account).where(Account.username == "zcb"))
            f = {"tab": "all", "status": "", "series": "", "level": "", "year": "", "unit": ""}
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            started = time.perf_counter()
            n = [0]

            def counted(rows):
                for row in rows:
                    n[0] += 1
                    yield row
            rows = db.session.execute(export_query(g.user, f).execution_options(yield_per=2000))
            # 职称办 exports full ID numbers and phones: every row is decrypted
            data = write_rows(counted(list_rows_for_export(rows, sees_full_identifiers(g.user))), "申报列表")
            n = n[0] - 1
    else:
        n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
        started = time.perf_counter()
        data = write_rows(synthetic(n))
    seconds = time.perf_counter() - started
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss) / 1024
    print(f"{n:,} rows × 11 columns: {seconds:.2f} s, {n / seconds:,.0f} rows/s, {len(data) / 1024:,.0f} KiB file, "
          f"peak memory growth {grown:.0f} MiB")


if __name__ == "__main__":
    main()
