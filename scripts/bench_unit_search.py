"""Fuzzy unit search with 10,000 units: prints median times per fragment.

    .venv/bin/python scripts/bench_unit_search.py                      # a temporary SQLite file
    DATABASE_URL=postgresql://postgres@127.0.0.1/bench .venv/bin/python scripts/bench_unit_search.py

On PostgreSQL it also prints the plan of a plain LIKE.
The database must be empty or a throw-away one: the script adds 10,000 units.
"""
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select, text  # noqa: E402

from app import create_app  # noqa: E402
from app.cli import setup_database  # noqa: E402
from app.platform.extensions import db  # noqa: E402
from config import database_url  # noqa: E402
from models import Organisation  # noqa: E402
from views.organisations import search_units  # noqa: E402

CITIES = ["天津", "北京", "上海", "河北", "山东", "江苏", "浙江", "广东"]
WORDS = ["机械", "装备", "电子", "化工", "医药", "建设", "交通", "能源", "信息", "材料", "食品", "纺织", "钢铁", "港口",
         "物流", "环保", "水务", "燃气", "轨道", "船舶"]
KINDS = ["集团有限公司", "有限公司", "研究院", "设计院", "股份有限公司", "中心", "医院", "学校"]


def main():
    tmp = tempfile.mkdtemp()
    url = database_url(os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/bench.db")
    app = create_app("test", {"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_DIR": tmp})
    rng = random.Random(7)
    with app.app_context():
        setup_database()
        bureau = Organisation(name="基准测试职称办", kind="bureau")
        db.session.add(bureau)
        db.session.flush()
        names = set()
        while len(names) < 10_000:
            names.add(rng.choice(CITIES) + rng.choice(WORDS) + rng.choice(WORDS) + str(rng.randint(1, 999))
                      + rng.choice(KINDS))
        names.add("天津百利机械装备集团有限公司")
        db.session.execute(insert(Organisation), [{"name": n, "kind": "unit", "parent_id": bureau.id,
                                                    "active": True} for n in names])
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            # the table as autovacuum leaves it after a bulk load: statistics and visibility map
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE organisation")
        total = db.session.scalar(select(func.count(Organisation.id)).where(Organisation.kind == "unit"))
        print(f"{db.engine.dialect.name}: {total} units")
        for fragment in ["百利", "机械装备", "研究院", "天津", "不存在的单位"]:
            times = []
            for _ in range(30):
                start = time.perf_counter()
                found = search_units(fragment)
                times.append((time.perf_counter() - start) * 1000)
            print(f"  {fragment!r:>14}: {len(found):2d} shown, median {statistics.median(times):6.2f} ms, "
                  f"max {max(times):6.2f} ms")
        if db.engine.dialect.name == "postgresql":
            plan = db.session.execute(text(
                "EXPLAIN SELECT id FROM organisation WHERE name LIKE '%百利%'")).scalars().all()
            print("  plan:", " / ".join(line.strip() for line in plan))


if __name__ == "__main__":
    main()
