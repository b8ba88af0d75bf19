"""Run by run.py inside the application directory being measured: signs the
benchmark's people in through the session store, captures for every page
the SQL statements it runs and its response (for the floor app), and writes
both to a pickle. Not a command of its own."""
import io
import os
import pickle
import random
import secrets
import sys

sys.path.insert(0, os.getcwd())

from flask import g, session  # noqa: E402
from flask_login import login_user  # noqa: E402
from flask_wtf.csrf import generate_csrf  # noqa: E402
from sqlalchemy import delete, event, select  # noqa: E402
from traffic import Targets, answered_as_expected, form_body  # noqa: E402

from app import create_app  # noqa: E402
from app.platform.extensions import db  # noqa: E402

UA = "zc-bench/1"
APPLICANTS = 2000   # an hour of the mix (memory.py, ~125 req/s) uploads within their limit of 10 files each
#: what the benchmark adds to its applicants' declarations, removed again before each run
PAPER_TITLE = "基准测试论文：数控系统可靠性分析"
SCAN_NAME = "bench-scan.jpg"


def sign_in(app, account):
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "127.0.0.1"}, headers={"User-Agent": UA}):
        g.pop("csrf_token", None)  # Flask-WTF caches the token in g, shared by this loop's app context
        login_user(account)
        session["csrf_token"] = secrets.token_hex(20)   # a signed-in session's own token, as after a real login
        token = generate_csrf()
        app.session_interface.save_session(app, session, app.response_class())
        return session.sid, token


def requester(app, people, method, path, who, fields, targets=None):
    """A function that sends one benchmarked request as its person (signed in
    by sign_in), through Flask's test client; a page that acts on one
    declaration after another takes the next of `targets` each time."""
    sid, token = people["applicants"][0] if who == "applicant" else people.get(who, (None, None))
    client = app.test_client()
    if sid:
        client.set_cookie("zc_session", sid)

    def send():
        page, form = targets.aim(path, fields) if targets else (path, fields)
        data, content_type = form_body(form, token) if form is not None else (None, None)
        return client.open(page, method=method, data=data, headers={"User-Agent": UA}, content_type=content_type,
                           environ_base={"REMOTE_ADDR": "127.0.0.1"})
    return send


def scan_jpeg() -> bytes:
    """A scanned certificate as people upload them: an A4 page at 150 dpi
    (1240 × 1754), some 210 KB of JPEG: lines of print on paper grain."""
    from PIL import Image, ImageDraw, ImageFilter

    rnd = random.Random(7)
    page = Image.effect_noise((1240, 1754), 12).point(lambda v: 225 + v // 12).convert("RGB")
    draw = ImageDraw.Draw(page)
    draw.rectangle((60, 60, 1180, 1694), outline=(150, 40, 40), width=8)
    for y in range(240, 1500, 46):
        x = 140
        while x < 1080:
            width = rnd.randint(20, 90)
            draw.rectangle((x, y, x + width, y + 22), fill=(40, 40, 40))
            x += width + rnd.randint(8, 30)
    draw.ellipse((860, 1360, 1100, 1600), outline=(200, 30, 30), width=10)
    out = io.BytesIO()
    page.filter(ImageFilter.GaussianBlur(0.8)).save(out, "JPEG", quality=85)
    return out.getvalue()


def remove_earlier_additions(applicants) -> None:
    """The rows and files earlier runs added, so that no declaration reaches
    a section's limit of rows or files."""
    from app.platform.storage import storage
    from models import Attachment, Declaration
    from models.registry import BY_KEY

    mine = select(Declaration.id).where(Declaration.applicant_id.in_([a.id for a in applicants]))
    files = db.session.execute(select(Attachment.id, Attachment.storage_key).where(
        Attachment.declaration_id.in_(mine), Attachment.original_name == SCAN_NAME)).all()
    db.session.execute(delete(Attachment).where(Attachment.id.in_([i for i, _ in files])))
    papers = BY_KEY["papers"].model
    db.session.execute(delete(papers).where(papers.declaration_id.in_(mine), papers.title == PAPER_TITLE))
    db.session.commit()
    for _, key in files:
        storage().delete(key)


def main(out_path):
    app = create_app()
    from models import Account, Declaration
    from models.registry import BY_KEY

    with app.app_context():
        applicants = db.session.scalars(
            select(Account).join(Declaration, Declaration.applicant_id == Account.id)
            .where(Declaration.status == "draft", Account.email.like("b%@example.com")).order_by(Account.id)
            .limit(APPLICANTS)).all()
        remove_earlier_additions(applicants)
        people = {"applicants": [sign_in(app, a) for a in applicants]}
        for name in ("zcb", "baili_hr"):
            people[name] = sign_in(app, db.session.scalar(select(Account).where(Account.username == name)))
        # 百利's declarations waiting for its approval: each is approved once
        baili = db.session.scalar(select(Account.org_id).where(Account.username == "baili_hr"))
        waiting = db.session.execute(select(Declaration.id, Declaration.version).where(
            Declaration.status == "unit_review", Declaration.unit_id == baili).order_by(Declaration.id)).all()
        if len(waiting) < 2:    # the capture approves two
            raise SystemExit("no declarations of 百利 left to approve: seed the database again (seed.py)")
        if len(waiting) < 200:
            print(f"only {len(waiting)} declarations left for the approvals: seed the database again soon",
                  file=sys.stderr)
        target = db.session.scalar(select(Declaration.id).where(Declaration.status == "office_review")
                                   .order_by(Declaration.id).offset(50).limit(1))
        first = applicants[0]
        decl = db.session.scalar(select(Declaration).where(Declaration.applicant_id == first.id))
        basic = db.session.scalar(select(BY_KEY["basic"].model).where(BY_KEY["basic"].model.declaration_id == decl.id))
        form = {f.name: f.as_input(getattr(basic, f.name)) for f in BY_KEY["basic"].stored_fields}
    paper = {"title": PAPER_TITLE, "journal": "机械工程学报", "number": "ISSN0577-6686 CN11-2187/TH",
             "published": "2021-03", "rank": "1", "words": "8000"}

    # name → (method, path, who, form fields or None, expected status or (status, where it redirects))
    pages = {
        "login": ("GET", "/login/", None, None, 200),
        "basic": ("GET", "/declaration/basic", "applicant", None, 200),
        "papers": ("GET", "/declaration/papers", "applicant", None, 200),
        "save": ("POST", "/declaration/basic", "applicant", form, 302),
        "add_row": ("POST", "/declaration/papers/new", "applicant", paper, 302),
        "upload": ("POST", "/declaration/files", "applicant",
                   {"section": "achievements", "kind": "files", "row": "", "file": (SCAN_NAME, scan_jpeg())}, 200),
        "review_list": ("GET", "/review/?tab=waiting&series=05&page=2", "zcb", None, 200),
        "unit_list": ("GET", "/review/?tab=all", "baili_hr", None, 200),
        "review_show": ("GET", f"/review/{target}", "zcb", None, 200),
        "approve": ("POST", "/review/{id}/act", "baili_hr", {"action": "approve", "version": "{version}",
                                                               "opinion": "同意"}, (302, "/review/")),
        "unit_search": ("GET", "/organisations/search?q=%E6%9C%BA%E6%A2%B0", "applicant", None, 200),
    }
    pools = {"approve": [tuple(row) for row in waiting]}
    targets = {name: Targets(pool) for name, pool in pools.items()}
    captures = {}
    statements = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute",
                     lambda conn, cur, sql, params, ctx, many: statements.append((sql, params)))
    # each request in its own application context, as under gunicorn (g is per request)
    for name, (method, path, who, fields, expected) in pages.items():
        request_page = requester(app, people, method, path, who, fields, targets.get(name))
        for _ in range(2):  # the second time, as a warm worker runs it
            statements.clear()
            resp = request_page()
        if not answered_as_expected(resp.status_code, resp.headers.get("Location", ""), expected):
            raise SystemExit(f"{name}: {method} {path} answered {resp.status_code} {resp.headers.get('Location')}, "
                             f"expected {expected}")
        captures[name] = (list(statements), resp.status_code, resp.get_data(), resp.content_type)
    # the driver goes on after the declarations approved here; the floor
    # replays the captured INSERTs, which must not meet the rows they made
    pools = {name: t.pool[next(t.counter):] for name, t in targets.items()}
    with app.app_context():
        remove_earlier_additions(applicants)
    with open(out_path, "wb") as fh:
        pickle.dump({"people": people, "pages": pages, "captures": captures, "pools": pools}, fh)


if __name__ == "__main__":
    main(sys.argv[1])
