"""The REST API: token login, scope, history, steps through `perform`, the
certificate check, the OpenAPI document and the Swagger page."""
from datetime import timedelta

from sqlalchemy import select

from app.platform.extensions import db
from models import Declaration, ReviewEvent, clock
from tests.conftest import APPLICANT_ID, csrf_token, login, page_text
from tests.insight.world import place


def token(client, username, password="Demo2026"):
    response = client.post("/api/v1/security/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.json
    return {"Authorization": f"Bearer {response.json['access_token']}"}


def two(app):
    with app.app_context():
        ours = place(1, "unit_review", clock.now() - timedelta(days=1))
        theirs = place(2, "unit_review", clock.now(), series="04", unit="天津市第一中心医院",
                       department="天津市卫生健康委员会", committee="天津市卫生技术高级评委会")
        return ours.id, theirs.id


def test_a_unit_lists_and_reads_only_its_own(app, client):
    ours, theirs = two(app)
    auth = token(client, "baili_hr")
    listed = client.get("/api/v1/declarations/", headers=auth).json
    assert listed["count"] == 1 and [d["id"] for d in listed["result"]] == [ours]
    assert listed["result"][0]["id_number"].startswith("1201") and "*" in listed["result"][0]["id_number"]
    assert client.get(f"/api/v1/declarations/{theirs}", headers=auth).status_code == 404
    assert client.get(f"/api/v1/declarations/{theirs}/history", headers=auth).status_code == 404
    detail = client.get(f"/api/v1/declarations/{ours}", headers=auth).json
    assert {s["action"] for s in detail["steps"]} == {"approve", "return"}
    office = client.get("/api/v1/declarations/?series=04", headers=token(client, "zcb")).json
    assert office["count"] == 1 and "*" not in office["result"][0]["id_number"]   # the title office sees it all


def test_steps_go_through_perform_with_its_rules(app, client):
    ours, theirs = two(app)
    auth = token(client, "baili_hr")
    version = client.get(f"/api/v1/declarations/{ours}", headers=auth).json["version"]
    refused = client.post(f"/api/v1/declarations/{ours}/steps", headers=auth,
                          json={"action": "return", "version": version})
    assert refused.status_code == 409 and refused.json["message"] == "请填写退回原因"
    stale = client.post(f"/api/v1/declarations/{ours}/steps", headers=auth,
                        json={"action": "approve", "version": version + 5})
    assert stale.status_code == 409 and "被他人处理" in stale.json["message"]
    done = client.post(f"/api/v1/declarations/{ours}/steps", headers=auth,
                       json={"action": "approve", "version": version})
    assert done.status_code == 200 and done.json["status"] == "dept_review"
    assert client.post(f"/api/v1/declarations/{theirs}/steps", headers=auth,
                       json={"action": "approve", "version": 1}).status_code == 404
    assert client.post(f"/api/v1/declarations/{ours}/steps", headers=auth, json={"action": "delete",
                                                                                   "version": 1}).status_code == 400
    history = client.get(f"/api/v1/declarations/{ours}/history", headers=auth).json["result"]
    assert [e["to_status"] for e in history] == ["unit_review", "dept_review"]
    with app.app_context():
        event = db.session.scalar(select(ReviewEvent).order_by(ReviewEvent.id.desc()))
        assert event.actor_name == "李静" and event.org_name == "天津百利机械装备集团有限公司"
        assert db.session.get(Declaration, ours).status == "dept_review"


def test_no_token_no_data_and_applicants_have_no_api(app, client):
    two(app)
    assert client.get("/api/v1/declarations/").status_code == 401
    assert client.get("/api/v1/declarations/", headers={"Authorization": "Bearer nonsense"}).status_code in (401, 422)
    applicant = token(client, APPLICANT_ID)
    assert client.get("/api/v1/declarations/", headers=applicant).status_code == 403


def test_login_rules_apply_to_the_token_login(client):
    for _ in range(5):
        client.post("/api/v1/security/login", json={"username": "baili_hr", "password": "wrong1234"})
    locked = client.post("/api/v1/security/login", json={"username": "baili_hr", "password": "Demo2026"})
    assert locked.status_code == 401


def test_certificate_check(app, client):
    with app.app_context():
        approved = place(3, "approved", clock.now())
        number = approved.certificate_no
    auth = token(client, "zcb")
    assert client.get(f"/api/v1/certificates/check?certificate_no={number}&name=申报人3",
                      headers=auth).json["valid"] is True
    assert client.get(f"/api/v1/certificates/check?certificate_no={number}&name=别人",
                      headers=auth).json == {"valid": False}
    assert client.get("/api/v1/certificates/check", headers=auth).status_code == 400


def test_openapi_document_and_swagger_page_for_staff_only(client):
    assert client.get("/api/docs/").status_code in (302, 401)
    login(client, APPLICANT_ID)
    assert client.get("/api/docs/").status_code in (302, 403)
    assert client.get("/api/v1/_openapi").status_code in (401, 403)
    login(client, "zcb")
    page = client.get("/api/docs/")
    html = page_text(page)
    assert page.status_code == 200 and "swagger-ui-bundle.js" in html and "swagger-init.js" in html
    script_src = page.headers["Content-Security-Policy"].split("script-src")[1].split(";")[0]
    assert "<script>" not in html and "unsafe-inline" not in script_src
    spec = client.get("/api/v1/_openapi").json
    assert "/api/v1/declarations/{pk}/steps" in spec["paths"]
    assert "DeclarationDetail" in spec["components"]["schemas"]


def test_nul_characters_and_huge_ids_are_refused_not_errors(app, client):
    auth = token(client, "zcb")
    assert client.get("/api/v1/certificates/check?certificate_no=%00&name=x", headers=auth).status_code == 400
    assert client.get("/api/v1/declarations/?series=0%005", headers=auth).status_code == 400
    assert client.get("/api/v1/declarations/99999999999999999999", headers=auth).status_code == 404
    checked = client.post("/verify/", data={"no": "2026\x00", "name": "张明", "csrf_token": csrf_token(client, "/verify/")})
    assert checked.status_code == 200


def test_the_documented_status_filter_knows_every_state(client):
    # the OpenAPI document follows the workflow's states (公示中, 逾期未补正 included)
    from app.review.workflow import STATUS_LABELS

    login(client, "zcb")
    document = client.get("/api/v1/_openapi").get_json()
    parameters = document["paths"]["/api/v1/declarations/"]["get"]["parameters"]
    status = next(p for p in parameters if p["name"] == "status")
    assert set(status["schema"]["enum"]) == set(STATUS_LABELS) - {"draft"}
