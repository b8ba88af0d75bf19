"""Run by run.py inside the application directory being measured: signs the
benchmark's people in through the session store, captures for every page
the SQL statements it runs and its response (for the floor app), and writes
both to a pickle. Not a command of its own."""
import os
import pickle
import secrets
import sys
from urllib.parse import urlencode

sys.path.insert(0, os.getcwd())

from flask import g, session  # noqa: E402
from flask_login import login_user  # noqa: E402
from flask_wtf.csrf import generate_csrf  # noqa: E402
from sqlalchemy import event, select  # noqa: E402

from app import create_app  # noqa: E402
from app.platform.extensions import db  # noqa: E402

UA = "zc-bench/1"
APPLICANTS = 60


def sign_in(app, account):
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "127.0.0.1"}, headers={"User-Agent": UA}):
        g.pop("csrf_token", None)  # Flask-WTF caches the token in g, shared by this loop's app context
        login_user(account)
        session["csrf_token"] = secrets.token_hex(20)   # a signed-in session's own token, as after a real login
        token = generate_csrf()
        app.session_interface.save_session(app, session, app.response_class())
        return session.sid, token


def requester(app, people, method, path, who, fields):
    """A function that sends one benchmarked request as its person (signed in
    by sign_in), through Flask's test client."""
    sid, token = people["applicants"][0] if who == "applicant" else people.get(who, (None, None))
    client = app.test_client()
    if sid:
        client.set_cookie("zc_session", sid)
    data = urlencode({**fields, "csrf_token": token}) if fields is not None else None
    return lambda: client.open(path, method=method, data=data, headers={"User-Agent": UA},
                               content_type="application/x-www-form-urlencoded" if data else None,
                               environ_base={"REMOTE_ADDR": "127.0.0.1"})


def main(out_path):
    app = create_app()
    from models import Account, Declaration
    from models.registry import BY_KEY

    with app.app_context():
        applicants = db.session.scalars(
            select(Account).join(Declaration, Declaration.applicant_id == Account.id)
            .where(Declaration.status == "draft", Account.email.like("b%@example.com")).order_by(Account.id)
            .limit(APPLICANTS)).all()
        people = {"applicants": [sign_in(app, a) for a in applicants]}
        for name in ("zcb", "baili_hr"):
            people[name] = sign_in(app, db.session.scalar(select(Account).where(Account.username == name)))
        target = db.session.scalar(select(Declaration.id).where(Declaration.status == "office_review")
                                   .order_by(Declaration.id).offset(50).limit(1))
        first = applicants[0]
        decl = db.session.scalar(select(Declaration).where(Declaration.applicant_id == first.id))
        basic = db.session.scalar(select(BY_KEY["basic"].model).where(BY_KEY["basic"].model.declaration_id == decl.id))
        form = {f.name: f.as_input(getattr(basic, f.name)) for f in BY_KEY["basic"].stored_fields}

    # name → (method, path, who, form fields or None, expected status)
    pages = {
        "login": ("GET", "/login/", None, None, 200),
        "basic": ("GET", "/declaration/basic", "applicant", None, 200),
        "papers": ("GET", "/declaration/papers", "applicant", None, 200),
        "save": ("POST", "/declaration/basic", "applicant", form, 302),
        "review_list": ("GET", "/review/?tab=waiting&series=05&page=2", "zcb", None, 200),
        "unit_list": ("GET", "/review/?tab=all", "baili_hr", None, 200),
        "review_show": ("GET", f"/review/{target}", "zcb", None, 200),
        "unit_search": ("GET", "/organisations/search?q=%E6%9C%BA%E6%A2%B0", "applicant", None, 200),
    }
    captures = {}
    statements = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute",
                     lambda conn, cur, sql, params, ctx, many: statements.append((sql, params)))
    # each request in its own application context, as under gunicorn (g is per request)
    for name, (method, path, who, fields, expected) in pages.items():
        request_page = requester(app, people, method, path, who, fields)
        for _ in range(2):  # the second time, as a warm worker runs it
            statements.clear()
            resp = request_page()
        if resp.status_code != expected:
            raise SystemExit(f"{name}: {method} {path} answered {resp.status_code}, expected {expected}")
        captures[name] = (list(statements), resp.status_code, resp.get_data(), resp.content_type)
    with open(out_path, "wb") as fh:
        pickle.dump({"people": people, "pages": pages, "captures": captures}, fh)


if __name__ == "__main__":
    main(sys.argv[1])
