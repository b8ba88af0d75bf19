"""Create a PostgreSQL benchmark database with N realistic declarations, in bulk.

    .venv/bin/python scripts/bench/seed.py postgresql://postgres@127.0.0.1:5432/zc_bench 100000

Drops and recreates the database, runs `flask setup` and `flask demo`, then
loads with COPY: 3,000 units, N applicants, N declarations across every state,
about 10.5 section rows, 11 attachment records and 3 review events per
declaration. The demo reviewers (baili_hr, gxj_zc, gc_pwh, zcb) get a share of
the declarations, so their lists are realistic. Attachment records point at no
file (pages list them; nothing opens them).
"""
from __future__ import annotations

import hashlib
import hmac
import os
import random
import shutil
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]
#: the files the benchmark uploads (UPLOAD_DIR of its runs), emptied with the database they belong to
UPLOADS = ROOT / "instance" / "bench-uploads"
sys.path.insert(0, str(ROOT))

# rows per declaration of each rows section (the rest get none)
ROWS = {"education": 2, "training": 3, "assessments": 3, "papers": 1.5, "associations": 0.5, "patents": 0.5}
STATES = [("draft", 0.30), ("unit_review", 0.25), ("dept_review", 0.12), ("committee_receive", 0.08),
          ("committee_review", 0.07), ("office_review", 0.08), ("approved", 0.05), ("returned", 0.05)]
STAGE = {"draft": 0, "returned": 1, "unit_review": 1, "dept_review": 2, "committee_receive": 3,
         "committee_review": 3, "office_review": 4, "approved": 5}
SNAPSHOT = '{"basic": {' + ", ".join(f'"字段{i}": "天津市第一机床厂有限公司{i}"' for i in range(60)) + "}}"
TEXT = "天津市工程技术研究与开发中心的专业技术人员从事机械设计制造及其自动化工作多年业绩突出"
# The benchmark's own keys for encrypted identifiers (run.py starts the app with them too).
FIELD_KEYS = {"FIELD_ENCRYPTION_KEYS": "YmVuY2gtZmllbGQta2V5LWlkcy1hbmQtcGhvbmVzISE=",
              "FIELD_HMAC_KEY": "bench-hmac-key-for-identifiers"}
# … and its public address (production refuses to start without one, and answers no other host).
PUBLIC_ADDRESS = {"PUBLIC_BASE_URL": "http://127.0.0.1", "EXTRA_ALLOWED_HOSTS": "localhost"}


_cipher = None


def cipher():
    """The app's own field cipher (models/protected.py) under the benchmark's key."""
    global _cipher
    if _cipher is None:
        from models.protected import FieldCipher
        _cipher = FieldCipher([FIELD_KEYS["FIELD_ENCRYPTION_KEYS"]])
    return _cipher


def _hmac(value: str) -> str:
    """The keyed hash the app stores beside an encrypted identifier (models/protected.py)."""
    return hmac.new(FIELD_KEYS["FIELD_HMAC_KEY"].encode(), value.encode(), hashlib.sha256).hexdigest()


def plain_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def recreate(url: str) -> None:
    base, name = plain_url(url).rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def flask(url: str, *args: str) -> None:
    env = dict(os.environ, DATABASE_URL=url, ENV="development", FLASK_APP="run.py", **FIELD_KEYS)
    env.pop("REDIS_URL", None)
    subprocess.run([str(ROOT / ".venv/bin/flask"), *args], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)


def copy(conn, table: str, columns: list[str], rows) -> int:
    n = 0
    with conn.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as cp:
        for row in rows:
            cp.write_row(row)
            n += 1
    return n


def value_for(field, column, ctx, rnd):
    """A plausible stored value for one registry field."""
    from models.registry.fields import (
        ChoiceField,
        DateField,
        IntField,
        RefField,
        RowChoiceField,
        YearField,
    )

    if isinstance(field, RefField):
        return rnd.choice(ctx["units"]) if field.target == "organisation" else None
    if isinstance(field, ChoiceField):
        if field.dictionary:
            codes = ctx["codes"].get(field.dictionary) or [None]
            return rnd.choice(codes)
        return field.choices[0] if field.choices else None
    if isinstance(field, DateField):
        return date(2000 + rnd.randrange(24), 1 + rnd.randrange(12), 1)
    if isinstance(field, YearField):
        return 2015 + rnd.randrange(10)
    if isinstance(field, (IntField, RowChoiceField)):
        return rnd.randrange(1, 60)
    length = getattr(column.type, "length", None) or 400
    return (TEXT * 4)[rnd.randrange(8):][:min(length, 40 if length > 255 else length)]


def main() -> None:
    url, n = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    started = time.time()
    recreate(url)
    shutil.rmtree(UPLOADS, ignore_errors=True)
    flask(url, "setup")
    flask(url, "demo")
    os.environ["DATABASE_URL"] = url
    import models.sections  # noqa: E402,F401  (sets section.model)
    from models.registry import SECTIONS  # noqa: E402

    rnd = random.Random(13)
    conn = psycopg.connect(plain_url(url))
    cur = conn.cursor()
    q = lambda sql: cur.execute(sql).fetchall()  # noqa: E731
    orgs = {name: oid for oid, name in q("SELECT id, name FROM organisation")}
    depts = [oid for (oid,) in q("SELECT id FROM organisation WHERE kind = 'department'")]
    committee = orgs["天津市工程技术高级评委会"]
    demo_unit, demo_dept = orgs["天津百利机械装备集团有限公司"], orgs["天津市工业和信息化局"]
    codes: dict[str, list] = {}
    for kind, code in q("SELECT kind, code FROM dict_item WHERE active"):
        codes.setdefault(kind, []).append(code)
    codes["title_series"] = ["05"]
    codes["title_level"] = ["12"]
    codes["title_name"] = [c for (c,) in q("SELECT t.code FROM title_name t JOIN title_series s ON s.id = t.series_id "
                                           "JOIN title_level l ON l.id = t.level_id WHERE s.code='05' AND l.code='12'")]

    # 3,000 units under the departments
    first_unit = q("SELECT coalesce(max(id), 0) + 1 FROM organisation")[0][0]
    copy(conn, "organisation", ["id", "name", "kind", "parent_id", "active", "created_at"],
         ((first_unit + i, f"天津市第{i + 1}号机械制造有限公司", "unit", depts[i % len(depts)], True, datetime.now())
          for i in range(3000)))
    units = list(range(first_unit, first_unit + 3000))
    ctx = {"units": units, "codes": codes}

    # applicants (one password hash for all: the benchmark signs in through the session store)
    applicant_role = q("SELECT id FROM ab_role WHERE name = '申报人'")[0][0]
    first_user = q("SELECT coalesce(max(id), 0) + 1 FROM ab_user")[0][0]
    now = datetime.now()
    copy(conn, "ab_user", ["id", "first_name", "last_name", "username", "password", "active", "email", "id_number",
                           "phone", "id_number_hmac", "phone_hmac", "must_change_password", "created_on", "changed_on", "login_count",
                           "fail_login_count"],
         ((first_user + i, f"申报人{i}", "", "sfz_" + _hmac(f"B{i:017d}")[:40], "x", True, f"b{i}@example.com",
           cipher().encrypt(f"B{i:017d}"), cipher().encrypt(f"19{i:09d}"),
           _hmac(f"B{i:017d}"), _hmac(f"19{i:09d}"), False, now, now, 0, 0) for i in range(n)))
    copy(conn, "ab_user_role", ["user_id", "role_id"], ((first_user + i, applicant_role) for i in range(n)))

    # declarations
    year = date.today().year
    weights = [w for _, w in STATES]
    decls, cert = [], 0
    for i in range(n):
        status = rnd.choices([s for s, _ in STATES], weights)[0]
        # 2 % at the demo unit, so baili_hr's lists hold ~2,000 at 100k
        unit = demo_unit if rnd.random() < 0.02 else rnd.choice(units)
        dept = demo_dept if unit == demo_unit else depts[(unit - first_unit) % len(depts)]
        submitted = status != "draft"
        cert_no = None
        if status == "approved":
            cert += 1
            cert_no = f"{year}-05-{cert:05d}"
        received = status in ("committee_review", "office_review", "approved")
        decls.append((i + 1, first_user + i, year, status, cert_no, received,
                      date(year, 3, 1) if received else None, unit if submitted else None,
                      dept if submitted else None, committee if submitted else None, "05", "12", STAGE[status],
                      now - timedelta(minutes=rnd.randrange(200_000)) if submitted else None, now, now, 1))
    copy(conn, "declaration", ["id", "applicant_id", "year", "status", "certificate_no", "committee_received",
                               "received_date", "unit_id", "department_id", "committee_id", "series", "level",
                               "reached", "submitted_at", "created_at", "updated_at", "version"], decls)
    section_rows = 0
    for section in SECTIONS:
        per = 1 if not section.many else ROWS.get(section.key, 0)
        if section.special_page or not per:
            continue
        fields = [f for f in section.stored_fields]
        columns = [section.model.__table__.c[f.name] for f in fields]
        names = ["declaration_id", "created_at", "updated_at", *(["position"] if section.many else []),
                 *[f.name for f in fields]]

        def rows(section=section, fields=fields, columns=columns, per=per):
            for d in range(1, n + 1):
                count = int(per) + (1 if rnd.random() < per - int(per) else 0)
                for pos in range(count):
                    values = [value_for(f, c, ctx, rnd) for f, c in zip(fields, columns)]
                    if section.key == "basic":
                        values[[f.name for f in fields].index("unit_id")] = decls[d - 1][7] or rnd.choice(units)
                    yield [d, now, now, *([pos + 1] if section.many else []), *values]

        section_rows += copy(conn, section.model.__table__.name, names, rows())
    attachments = copy(conn, "attachment", ["declaration_id", "section", "row_id", "kind", "storage_key",
                                            "original_name", "content_type", "size", "width", "height", "created_at"],
                       ((d, "basic" if k < 3 else "education", None, ("photo", "id_card", "archive_proof")[k]
                         if k < 3 else "diploma", f"bench-{d}-{k}.jpg", "照片.jpg", "image/jpeg", 180_000, 1200, 1600,
                         now) for d in range(1, n + 1) for k in range(11)))
    events = copy(conn, "review_event", ["declaration_id", "action", "from_status", "to_status", "actor_name",
                                         "org_name", "opinion", "ip", "created_at", "ended_at", "snapshot"],
                  ((d[0], "submit", "draft", "unit_review", "申报人", "申报人", "", "127.0.0.1", now,
                    now if k < 2 else None, SNAPSHOT) for d in decls if d[3] != "draft" for k in range(3)))
    for table in ("organisation", "ab_user", "declaration"):
        cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    conn.commit()
    conn.autocommit = True
    conn.execute("VACUUM ANALYZE")
    print(f"{n:,} declarations, {section_rows:,} section rows, {attachments:,} attachments, {events:,} review events"
          f" in {time.time() - started:.0f} s")


if __name__ == "__main__":
    main()
