"""Anonymous reads store no session; the login form's CSRF and captcha still
work; a stored anonymous session expires sooner; signing in gives a new id and
a CSRF token no longer derivable from the old one (#13)."""
import re

from sqlalchemy import text

from app.platform.extensions import db
from tests.conftest import APPLICANT_ID, CAPTCHA, CSRF_RE

COOKIE = "zc_session"


def stored_sessions(app) -> list[tuple[str, float]]:
    with app.app_context():
        return db.session.execute(text("SELECT value, expires_at FROM kv_entry WHERE key LIKE 'session:%'")).all()


def test_login_page_reads_store_nothing_yet_the_form_works(app, client):
    for _ in range(5):
        page = client.get("/login/")
        assert page.status_code == 200
    assert stored_sessions(app) == []                     # five anonymous reads, nothing written
    assert client.get_cookie(COOKIE) is not None          # the id travels in the cookie only
    token = CSRF_RE.search(page.get_data(as_text=True)).group(1)
    response = client.post("/login/", data={"username": APPLICANT_ID, "password": "Demo2026", "captcha": CAPTCHA,
                                            "csrf_token": token})
    assert response.status_code == 302 and client.get("/").status_code == 200
    assert len(stored_sessions(app)) == 1                 # stored at sign-in


def test_public_pages_store_nothing(app):
    fresh = app.test_client()
    for path in ("/login/", "/verify/", "/register/"):
        fresh.get(path)
    assert stored_sessions(app) == []


def test_forged_login_is_still_refused(app, client):
    client.get("/login/")
    no_token = client.post("/login/", data={"username": APPLICANT_ID, "password": "Demo2026", "captcha": CAPTCHA})
    assert no_token.status_code == 400
    other = app.test_client()                             # a token made for another visitor's id
    token = CSRF_RE.search(other.get("/login/").get_data(as_text=True)).group(1)
    forged = client.post("/login/", data={"username": APPLICANT_ID, "password": "Demo2026", "captcha": CAPTCHA,
                                          "csrf_token": token})
    assert forged.status_code == 400 and client.get("/").status_code == 302


def test_captcha_stores_a_short_lived_session_and_keeps_the_token(app, client):
    app.config["CAPTCHA_FIXED_CODE"] = None               # the real captcha, kept in the session
    page = client.get("/login/")
    token = CSRF_RE.search(page.get_data(as_text=True)).group(1)
    assert client.get("/captcha.png").status_code == 200
    [(_, expires)] = stored_sessions(app)
    import time
    assert expires - time.time() <= app.config["SESSION_ANONYMOUS_MINUTES"] * 60 + 1
    assert app.config["SESSION_ANONYMOUS_MINUTES"] < app.config["SESSION_IDLE_MINUTES"]
    # the page's token is still good after the session was stored: a wrong captcha is a
    # captcha message (not a CSRF refusal)
    wrong = client.post("/login/", data={"username": APPLICANT_ID, "password": "Demo2026", "captcha": "ZZZZ",
                                         "csrf_token": token})
    assert wrong.status_code in (200, 400) and "验证码" in wrong.get_data(as_text=True)


def test_signing_in_renews_the_id_and_the_token(app, client):
    page = client.get("/login/")
    before_sid = client.get_cookie(COOKIE).value
    token = CSRF_RE.search(page.get_data(as_text=True)).group(1)
    client.post("/login/", data={"username": APPLICANT_ID, "password": "Demo2026", "captcha": CAPTCHA,
                                 "csrf_token": token})
    assert client.get_cookie(COOKIE).value != before_sid
    [(value, _)] = stored_sessions(app)
    raw_before = re.search(r'"csrf_token":"([0-9a-f]+)"', value).group(1)
    from app.accounts.sessions import _derived_csrf
    assert raw_before != _derived_csrf(app, before_sid)
    # a form of the signed-in person still works with the token of their pages
    from tests.conftest import csrf_token
    assert client.post("/logout/", data={"csrf_token": csrf_token(client, "/account/password")}).status_code == 302


def test_a_made_up_cookie_is_not_a_session(app):
    fresh = app.test_client()
    fresh.set_cookie(COOKIE, "x" * 43)
    assert fresh.get("/").status_code == 302              # to the login page
    fresh.set_cookie(COOKIE, "../" * 50)
    assert fresh.get("/login/").status_code == 200
    assert stored_sessions(app) == []
