"""Property-based run of the API against its own OpenAPI document
(schemathesis): for generated inputs, by a staff member, an applicant and
nobody, no response is a 500, every status answered is documented for its
operation, every body matches its schema and every refusal speaks Chinese.
Every operation of the document is run, FAB's own included (login, menu, the
document itself). Bounded to a few examples per operation so the run stays
well under a minute. (schemathesis' own pytest plugin does not run under
pytest 9, so Hypothesis drives each operation here.)"""
from datetime import datetime

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.data.demo import DEMO_PASSWORD
from models import clock
from tests.conftest import APPLICANT_ID
from tests.insight.world import place

EXAMPLES = {"staff": 25, "applicant": 5, "nobody": 5}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def _chinese(text) -> bool:
    return isinstance(text, str) and any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _token(client, username):
    answer = client.post("/api/v1/security/login", json={"username": username, "password": DEMO_PASSWORD})
    assert answer.status_code == 200, answer.json
    return {"Authorization": f"Bearer {answer.json['access_token']}"}


def _documented(app, headers):
    doc = app.test_client().get("/api/v1/_openapi", headers=headers).json
    return {(path.replace("{version}", "v1"), method.upper()): set(map(int, op["responses"]))
            for path, ops in doc["paths"].items() for method, op in ops.items()}


def test_api_matches_its_openapi_document(app):
    client = app.test_client()
    staff = _token(client, "zcb")
    callers = {"staff": staff, "applicant": _token(client, APPLICANT_ID), "nobody": {}}
    with app.app_context():
        place(1, "office_review", clock.now())
        place(2, "approved", clock.now())
    schema = schemathesis.openapi.from_wsgi("/api/v1/_openapi", app, headers=staff)
    operations = [result.ok() for result in schema.get_all_operations()]
    # logging out ends the caller's session: it runs last, with a token of its own
    operations.sort(key=lambda op: op.path.endswith("/logout"))
    assert len(operations) == 10, [op.label for op in operations]

    for operation in operations:
        for caller, headers in callers.items():
            if operation.path.endswith("/logout"):
                app.appbuilder.sm.limiter.reset()
                headers = _token(client, "zcb" if caller == "staff" else APPLICANT_ID) if headers else {}

            @given(case=operation.as_strategy())
            @settings(max_examples=EXAMPLES[caller], deadline=None, derandomize=True, database=None,
                      suppress_health_check=list(HealthCheck))
            def run(case):
                response = case.call_and_validate(headers=headers, checks=CHECKS)
                if response.status_code >= 400:
                    message = response.json().get("message")
                    assert _chinese(message), (operation.label, caller, response.status_code, message)

            run()


@pytest.mark.parametrize("caller, method, path, body, status", [
    (None, "post", "/api/v1/security/login", None, 400),                # no body
    (None, "post", "/api/v1/security/login", {"username": "zcb"}, 400),
    (APPLICANT_ID, "get", "/api/v1/menu/", None, 403),
    ("zcb", "get", "/api/v1/menu/", None, 403),
    (APPLICANT_ID, "get", "/api/v1/_openapi", None, 403),
    (APPLICANT_ID, "get", "/api/v1/declarations/", None, 403),
    ("zcb", "get", "/api/v1/declarations/?page_size=1000", None, 400),
    ("zcb", "get", "/api/v1/declarations/?page=x&extra=1", None, 400),
    ("zcb", "get", "/api/v1/declarations/2147483647", None, 404),
    ("zcb", "get", "/api/v1/certificates/check", None, 400),
    ("zcb", "post", "/api/v1/declarations/1/steps", {"action": "删除", "version": "一"}, 400),
    ("zcb", "post", "/api/v1/declarations/1/steps", {"action": "approve", "version": 1, "opinion": "x" * 501}, 400),
    (None, "get", "/api/v1/declarations/", None, 401),
])
def test_every_refusal_is_documented_and_chinese(app, caller, method, path, body, status):
    client = app.test_client()
    headers = _token(client, caller) if caller else {}
    answer = getattr(client, method)(path, headers=headers, **({"json": body} if body is not None else {}))
    assert answer.status_code == status, answer.json
    route = path.split("?")[0].replace("/1/steps", "/{pk}/steps").replace("/2147483647", "/{pk}")
    documented = _documented(app, _token(client, "zcb"))
    assert status in documented[(route, method.upper())], (route, documented.get((route, method.upper())))
    assert _chinese(answer.json["message"]), answer.json
    assert "Must be" not in answer.json["message"] and "field" not in answer.json["message"]
