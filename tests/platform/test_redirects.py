"""Redirects go to pages of this site only: a Referer, a `next=` or a form's
`back` that names another site — absolute, scheme-relative, with a
backslash, javascript: — falls back to a page of ours; and every redirect
the application answers (its own, Flask-AppBuilder's, Flask-Admin's) is
checked once more on its way out."""
import pytest
from flask import Response

from app.data.demo import DEMO_PASSWORD
from app.platform.web import keep_redirects_local, local_url, stays_on_site
from tests.conftest import APPLICANT_ID, CAPTCHA, csrf_token, login
from tests.declaring import declaration_id, fill, submit

FOREIGN = [
    "https://evil.example/x",
    "http://evil.example",
    "//evil.example/x",
    "///evil.example/x",
    "/\\evil.example/x",
    "\\\\evil.example/x",
    "\\/evil.example/x",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    "java\tscript:alert(1)",
    " /x",
    "/\t/evil.example",
    "/x\r\nSet-Cookie: a=b",
    "http:evil.example",
    "http://localhost@evil.example/",
    "http://localhost.evil.example/",
    "data:text/html,<script>alert(1)</script>",
    "",
    None,
]


@pytest.mark.parametrize("target", FOREIGN)
def test_foreign_targets_fall_back(app, target):
    with app.test_request_context("/"):
        assert local_url(target, "/review/") == "/review/"
        if target:
            assert not stays_on_site(target)


@pytest.mark.parametrize("target, expected", [
    ("/review/?tab=all&page=2", "/review/?tab=all&page=2"),
    ("/", "/"),
    ("http://localhost/review/?tab=all", "/review/?tab=all"),          # this site's own address (a Referer)
    ("http://127.0.0.1:5000/notices/#top", "/notices/#top"),          # PUBLIC_BASE_URL's host
])
def test_pages_of_this_site_are_kept_as_paths(app, target, expected):
    with app.test_request_context("/"):
        assert local_url(target, "/fallback") == expected


def test_every_redirect_leaving_the_site_is_turned_home(app):
    with app.test_request_context("/"):
        for target in ("https://evil.example/x", "//evil.example", "/\\evil.example", "javascript:alert(1)"):
            response = keep_redirects_local(Response(status=302, headers={"Location": target}))
            assert response.headers["Location"] == "/", target
        for target in ("/review/", "http://localhost/users/list/", "?page=2"):
            response = keep_redirects_local(Response(status=302, headers={"Location": target}))
            assert response.headers["Location"] == target


@pytest.fixture
def submitted(app, client):
    login(client, APPLICANT_ID)
    fill(client, app)
    submit(client)
    return declaration_id(app)


@pytest.mark.parametrize("referrer", ["https://evil.example/x", "//evil.example/x", "/\\evil.example/x"])
def test_bulk_review_actions_never_follow_a_foreign_referer(client, submitted, referrer):
    login(client, "baili_hr")
    token = csrf_token(client, "/review/")
    empty = client.post("/review/bulk", data={"action": "approve", "csrf_token": token},
                        headers={"Referer": referrer})
    assert empty.status_code == 302 and empty.headers["Location"] == "/review/"
    done = client.post("/review/bulk", data={"action": "approve", "ids": [str(submitted)], "csrf_token": token},
                       headers={"Referer": referrer})
    assert done.status_code == 302 and done.headers["Location"] == "/review/"
    batch = client.post("/review/print-batch", data={"csrf_token": token}, headers={"Referer": referrer})
    assert batch.status_code == 302 and batch.headers["Location"] == "/review/"
    search = client.post("/review/search", data={"q": "张", "back": referrer, "csrf_token": token})
    assert search.headers["Location"] == "/review/"


def test_bulk_review_actions_return_to_the_list_they_came_from(client, submitted):
    login(client, "baili_hr")
    token = csrf_token(client, "/review/")
    response = client.post("/review/bulk", data={"action": "approve", "csrf_token": token},
                           headers={"Referer": "http://localhost/review/?tab=done&page=1"})
    assert response.headers["Location"] == "/review/?tab=done&page=1"


@pytest.mark.parametrize("target", ["https://evil.example/x", "//evil.example/x", "/\\evil.example/x",
                                    "javascript:alert(1)"])
def test_login_next_stays_on_the_site(client, target):
    token = csrf_token(client, "/login/")
    response = client.post("/login/", query_string={"next": target},
                           data={"username": "zcb", "password": DEMO_PASSWORD, "captcha": CAPTCHA, "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    again = client.get("/login/", query_string={"next": target})        # already signed in
    assert again.status_code == 302 and again.headers["Location"] == "/"


def test_login_next_to_a_page_of_the_site_is_followed(client):
    token = csrf_token(client, "/login/")
    response = client.post("/login/", query_string={"next": "/review/?tab=all"},
                           data={"username": "zcb", "password": DEMO_PASSWORD, "captcha": CAPTCHA, "csrf_token": token})
    assert response.headers["Location"] == "/review/?tab=all"
