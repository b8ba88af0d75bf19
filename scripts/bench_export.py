"""List export speed: rows per second of the streaming Excel writer with
12 columns of Chinese text, and the peak memory it used.

    .venv/bin/python scripts/bench_export.py [rows]
"""
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reports.workbooks import write_rows  # noqa: E402


def rows(n):
    yield [f"列{i}" for i in range(12)]
    for i in range(n):
        yield [str(i), "张明", "1201**********0013", "138****0001", "天津百利机械装备集团有限公司", "工程技术人员",
               "副高级", "2026", "待单位审核", "2026-11-26 07:20", "", "=不是公式"]


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    tracemalloc.start()
    start = time.perf_counter()
    data = write_rows(rows(n))
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    print(f"{n} rows × 12 columns: {seconds:.2f} s, {n / seconds:,.0f} rows/s, "
          f"{len(data) / 1024:,.0f} KiB file, peak {peak / 1024 / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
