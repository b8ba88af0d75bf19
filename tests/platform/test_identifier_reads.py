"""Every read of full (unmasked) ID numbers or phones — by page, export,
printout or API — is one audit row per request, with how many people's it
showed (`identifiers_read` in app/platform/audit.py)."""
import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.platform.extensions import db
from models import Account, AuditEvent, clock
from tests.conftest import APPLICANT_ID, csrf_token, login
from tests.declaring import declaration_id, fill, submit
from tests.insight.test_api import token
from tests.insight.world import place


def rows_of(app, response):
    """The audit rows written by the request that gave `response`."""
    with app.app_context():
        return db.session.scalars(select(AuditEvent).where(
            AuditEvent.request_id == response.headers["X-Request-Id"]).order_by(AuditEvent.id)).all()


def count_of(event) -> int:
    return json.loads(event.after)["count"]


@pytest.fixture
def five(app):
    with app.app_context():
        return [place(n, "office_review", clock.now() - timedelta(days=n)).id for n in range(1, 6)]


def test_an_api_page_of_full_numbers_is_one_row_with_its_count(app, client, five):
    auth = token(client, "zcb")
    response = client.get("/api/v1/declarations/?page_size=3", headers=auth)
    assert response.status_code == 200 and len(response.json["result"]) == 3
    assert "*" not in response.json["result"][0]["id_number"]
    got = rows_of(app, response)
    assert [(e.action, e.actor, count_of(e)) for e in got] == [("pii.api", "zcb", 3)]
    one = client.get(f"/api/v1/declarations/{five[0]}", headers=auth)
    assert [(e.action, e.target, count_of(e)) for e in rows_of(app, one)] == [
        ("pii.api", f"declaration:{five[0]}", 1)]


def test_masked_api_pages_are_no_identifier_read(app, client, five):
    response = client.get("/api/v1/declarations/", headers=token(client, "baili_hr"))
    assert response.status_code == 200 and "*" in response.json["result"][0]["id_number"]
    assert rows_of(app, response) == []


def test_an_export_is_one_row(app, client, five):
    login(client, "zcb")
    export = client.get("/review/export?tab=all")
    assert export.status_code == 200
    assert [(e.action, count_of(e), json.loads(e.after)["full"]) for e in rows_of(app, export)] == [
        ("export.list", 5, True)]
    batch = client.post("/review/print-batch", data={"ids": [str(i) for i in five[:2]],
                                                     "csrf_token": csrf_token(client, "/review/")})
    assert batch.status_code == 302
    assert [(e.action, count_of(e)) for e in rows_of(app, batch)] == [("export.print_batch", 2)]


def test_a_printout_is_one_row(app, client):
    login(client, APPLICANT_ID)
    fill(client, app)
    assert submit(client).status_code == 302
    decl = declaration_id(app)
    assert [e.action for e in rows_of(app, client.get(f"/print/{decl}/summary"))] == []   # one's own
    login(client, "baili_hr")
    for path in (f"/print/{decl}/summary", f"/print/{decl}/review.pdf", f"/print/{decl}/review.xlsx"):
        printout = client.get(path)
        assert printout.status_code == 200, path
        assert [(e.action, e.target, count_of(e)) for e in rows_of(app, printout)] == [
            ("export.print", f"declaration:{decl}", 1)], path


def test_every_reviewer_reading_a_declaration_page_is_audited(app, client, five):
    with app.app_context():
        at_unit = place(9, "unit_review", clock.now()).id
    login(client, "baili_hr")   # not only the title office: the page shows the full number to every reviewer
    page = client.get(f"/review/{at_unit}")
    assert page.status_code == 200
    assert [(e.action, e.actor, count_of(e)) for e in rows_of(app, page)] == [("pii.view", "baili_hr", 1)]


def test_full_phones_on_staff_pages_are_audited(app, client):
    login(client, "gc_pwh")
    pool = client.get("/meetings/experts")
    assert pool.status_code == 200
    assert [(e.action, count_of(e)) for e in rows_of(app, pool)] == [("pii.view", 7)]
    login(client, "admin")
    with app.app_context():
        user_id = db.session.scalar(select(Account.id).where(Account.username == "baili_hr"))
    edit = client.get(f"/users/edit/{user_id}")
    assert edit.status_code == 200
    assert [(e.action, e.target) for e in rows_of(app, edit)] == [("pii.view", f"ab_user:{user_id}")]
