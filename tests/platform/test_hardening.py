"""#10 items 7, 8, 13: logs masked down to exception text and SQL
parameters; crafted huge numbers give 404/400 on every route of that kind;
no redirect leaves the site."""
import logging
import re

import pytest
from sqlalchemy import text

from app.platform.extensions import db
from tests.conftest import APPLICANT_ID, csrf_token, login, page_text

HUGE = "9" * 25


def test_exception_text_and_sql_parameters_are_masked(app, caplog):
    log = logging.getLogger("app.errors")
    with app.app_context():
        try:
            db.session.execute(text("SELECT * FROM no_such_table WHERE a = :id AND b = :pw"),
                               {"id": APPLICANT_ID, "pw": "Secret2026pw"})
        except Exception:
            log.exception("Incident on %s", "13800000001")
        db.session.rollback()
    lines = [logging.Formatter("%(message)s").format(r) for r in caplog.records]
    dump = "\n".join(lines)
    assert "no_such_table" in dump
    assert APPLICANT_ID not in dump and "Secret2026pw" not in dump and "13800000001" not in dump
    assert "138****0001" in dump


def test_production_hides_sql_parameters():
    from config import ProductionConfig

    assert ProductionConfig.SQLALCHEMY_ENGINE_OPTIONS["hide_parameters"] is True


def int_routes(app):
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and rule.arguments and not rule.endpoint.endswith("static"):
            yield rule


def test_huge_numbers_in_every_path_are_404(app, client):
    login(client, "admin")
    reviewer = app.test_client()
    login(reviewer, "zcb")
    applicant = app.test_client()
    login(applicant, APPLICANT_ID)
    checked = 0
    for rule in int_routes(app):
        values = {}
        for name in rule.arguments:
            converter = rule._converters.get(name)
            values[name] = HUGE if converter is None or type(converter).__name__ in (
                "BoundedIntConverter", "UnicodeConverter", "IntegerConverter") else "x"
        url = rule.rule
        for name, value in values.items():
            url = re.sub(r"<(?:[^:<>]+:)?" + name + r">", value, url)
        if HUGE not in url:
            continue
        for who in (client, reviewer, applicant):
            response = who.get(url)
            assert response.status_code in (302, 400, 403, 404, 405), (url, response.status_code)
        checked += 1
    assert checked > 20


@pytest.mark.parametrize("query", ["page", "year", "unit"])
def test_huge_numbers_in_the_review_list_are_refused(client, query):
    login(client, "zcb")
    response = client.get(f"/review/?{query}={HUGE}")
    assert response.status_code == 400 and "参数超出范围" in page_text(response)
    assert client.get(f"/review/?{query}=2").status_code == 200


def test_huge_page_numbers_in_back_office_lists(client):
    login(client, "admin")
    for url in (f"/users/list/?page_UserView={HUGE}", f"/users/list/?psize_UserView={HUGE}",
                f"/admin/fa_organisation/?page={HUGE}", f"/users/show/{HUGE}"):
        assert client.get(url).status_code in (400, 404), url


@pytest.mark.parametrize("back", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "http:/x",
                                  "javascript:alert(1)"])
def test_search_back_accepts_only_local_paths(client, back):
    login(client, "zcb")
    token = csrf_token(client, "/review/")
    response = client.post("/review/search", data={"q": "张", "back": back, "csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/review")


def test_search_back_keeps_a_local_path(client):
    login(client, "zcb")
    token = csrf_token(client, "/review/")
    response = client.post("/review/search", data={"q": "张", "back": "/review/?tab=all", "csrf_token": token})
    assert response.headers["Location"] == "/review/?tab=all"
