"""简表 PDF speed: a declaration with a photo, 30 papers, 12 patents and a
1,500-character 业绩成果 (as the printing test), rendered through the app.
Prints the first render in a fresh process, the median of the next renders
of changed content, and the median when the declaration has not changed.
With `rare`, the name and the paper titles hold CJK Ext. A-G characters and
an emoji (set in the fallback fonts), else all is in the main font.

    .venv/bin/python scripts/bench/printout.py [renders] [rare]
"""
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.getcwd())

from app import create_app  # noqa: E402
from app.cli import setup_database  # noqa: E402
from app.data.demo import load_demo  # noqa: E402
from tests.conftest import APPLICANT_ID, CAPTCHA, login  # noqa: E402
from tests.declaring import ROWS, declaration_id, fill, post  # noqa: E402


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 5
    rare = "rare" in sys.argv[1:]
    tmp = tempfile.mkdtemp(prefix="zc-print-")
    app = create_app("test", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/p.db", "INSTANCE_DIR": tmp,
                              "UPLOAD_DIR": f"{tmp}/uploads", "SMS_OUTBOX": f"{tmp}/sms.jsonl",
                              "CAPTCHA_FIXED_CODE": CAPTCHA, "REDIS_URL": None, "RATELIMIT_ENABLED": False})
    with app.app_context():
        setup_database()
        load_demo()
    client = app.test_client()
    login(client, APPLICANT_ID)
    fill(client, app)
    if rare:
        from app.platform.extensions import db
        from models import Account
        with app.app_context():
            db.session.query(Account).filter(Account.id_number_is(APPLICANT_ID)).update({"first_name": "陶䶮𠮷𫖮😀"})
            db.session.commit()
    for i in range(30):
        title = f"第{i:02d}篇论文：高速主轴热误差建模" + ("𫝀𫠠𬺰𰻝" if rare else "")
        post(client, "/declaration/papers/new", dict(ROWS["papers"][0], title=title))
    for i in range(12):
        post(client, "/declaration/patents/new", dict(ROWS["patents"][0], name=f"第{i:02d}项专利", number=f"ZL2020201234{i:02d}.7"))
    post(client, "/declaration/achievements", {"content": "主持完成项目并取得显著效益。" * 100})
    path = f"/print/{declaration_id(app)}/summary.pdf"

    def render():
        started = time.perf_counter()
        response = client.get(path)
        assert response.status_code == 200, response.status_code
        return time.perf_counter() - started, len(response.data)

    first, size = render()
    changed = []
    for i in range(n):
        post(client, "/declaration/achievements", {"content": f"第{i}次修改。" + "主持完成项目并取得显著效益。" * 100})
        changed.append(render()[0])
    unchanged = [render()[0] for _ in range(n)]
    print(f"简表 PDF{' (rare characters)' if rare else ''} ({size / 1024:.0f} KB): first in a process {first:.2f} s; after a change, median "
          f"{statistics.median(changed):.2f} s; unchanged, median {statistics.median(unchanged) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
