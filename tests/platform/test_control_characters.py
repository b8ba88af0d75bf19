"""Control characters (NUL and the like) in any text a person or a client
sends are refused with a Chinese message — beside the field where the page
has one — never a database error (PostgreSQL refuses NUL: a 500 before).
One rule (models.identity), applied by every WTForms field, the
declaration's registry fields, and `refuse_control_characters` for query
strings, JSON bodies and the remaining form posts."""
import re

import pytest
from sqlalchemy import select

from app.platform.extensions import db
from models import Organisation, clock
from tests.conftest import APPLICANT_ID, csrf_token, login, page_text
from tests.declaring import basic, post
from tests.insight.test_api import token
from tests.insight.world import place

MESSAGE = "不能包含控制字符"


@pytest.fixture
def two(app):
    with app.app_context():
        return [place(n, "office_review", clock.now()).id for n in (1, 2)]


def search(client, q):
    return client.post("/review/search", data={"q": q, "back": "/review/?tab=all",
                                               "csrf_token": csrf_token(client, "/review/")})


@pytest.mark.parametrize("q", ["申报\x00人1", "申报人1\x0b", "\x1f"])
def test_the_reviewer_search_refuses_a_control_character_beside_the_box(app, client, two, q):
    login(client, "zcb")
    assert search(client, "申报人2").status_code == 302
    assert search(client, q).status_code == 302
    page = client.get("/review/?tab=all")
    html = page_text(page)
    assert page.status_code == 200 and "事件编号" not in html
    error = re.search(r'<span class="help-block" id="search-error">([^<]*)</span>', html)
    assert error and MESSAGE in error.group(1)
    assert re.search(r'id="search-input"', html) and f'value="{q.replace(chr(0), "").strip(chr(11) + chr(31))}"' in html
    assert f"declaration-{two[1]}" in html and f"declaration-{two[0]}" not in html   # the search it had
    assert search(client, "申报人1").status_code == 302   # corrected: searched, the message gone
    html = page_text(client.get("/review/?tab=all"))
    assert f"declaration-{two[0]}" in html and f"declaration-{two[1]}" not in html and "search-error" not in html


def test_a_generated_form_field_says_it_beside_the_field_and_keeps_the_rest(app, client):
    login(client, "zcb")
    with app.app_context():
        bureau = db.session.scalar(select(Organisation.id).where(Organisation.kind == "bureau"))
    response = client.post("/units/add", data={"name": "新\x00单位", "parent": str(bureau),
                                               "contact_person": "王五", "csrf_token": csrf_token(client, "/units/add")})
    html = page_text(response)
    assert response.status_code == 200 and MESSAGE in html and 'value="王五"' in html
    with app.app_context():
        assert db.session.scalar(select(Organisation.id).where(Organisation.name.contains("单位", autoescape=True),
                                                               Organisation.contact_person == "王五")) is None


def test_the_account_forms_and_the_back_office_say_it_beside_the_field(app, client):
    response = client.post("/login/", data={"username": "zcb\x00", "password": "Demo2026", "captcha": "TEST",
                                            "csrf_token": csrf_token(client, "/login/")})
    assert response.status_code == 400 and MESSAGE in page_text(response)
    login(client, "admin")
    response = client.post("/admin/fa_organisation/new/", data={
        "name": "后台\x07机构", "kind": "unit", "csrf_token": csrf_token(client, "/admin/fa_organisation/new/")})
    assert response.status_code == 200 and MESSAGE in page_text(response)
    with app.app_context():
        assert db.session.scalar(select(Organisation.id).where(Organisation.name.startswith("后台"))) is None


def test_a_declaration_field_refuses_it_beside_the_field(app, client):
    login(client, APPLICANT_ID)
    response = post(client, "/declaration/basic", basic(app, profession="机械\x00设计"))
    html = page_text(response)
    assert response.status_code == 400 and MESSAGE in html
    assert post(client, "/declaration/basic", basic(app, profession="机械设计")).status_code == 302


def test_query_strings_json_and_other_form_posts_are_refused_with_a_message(app, client, two):
    login(client, "zcb")
    for path in ("/review/?series=0%005", "/statistics/?level=%01", "/organisations/search?q=%00",
                 "/verify/?no=2026%00"):
        response = client.get(path)
        assert response.status_code == 400 and MESSAGE in page_text(response), path
    token_ = csrf_token(client, f"/review/{two[0]}")
    response = client.post(f"/review/{two[0]}/act", data={"action": "return", "opinion": "退回\x00", "version": "1",
                                                           "csrf_token": token_})
    assert response.status_code == 400 and MESSAGE in page_text(response)
    auth = token(client, "zcb")
    listed = client.get("/api/v1/declarations/?series=%00", headers=auth)
    assert listed.status_code == 400 and MESSAGE in listed.json["message"] and "series" in listed.json["message"]
    step = client.post(f"/api/v1/declarations/{two[0]}/steps", headers=auth,
                       json={"action": "return", "opinion": "材料\x00不全", "version": 1})
    assert step.status_code == 400 and "opinion" in step.json["message"]
    refused = client.post("/api/v1/security/login", json={"username": "zcb\x00", "password": "x"})
    assert refused.status_code == 400 and MESSAGE in refused.json["message"]
    with app.app_context():
        from models import Declaration
        assert db.session.get(Declaration, two[0]).status == "office_review"
