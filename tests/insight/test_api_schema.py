"""Property-based run of the API against its own OpenAPI document
(schemathesis): for generated inputs no response is a 500, every status is
documented and every body matches its schema. Bounded to a few examples per
operation so the run stays well under a minute. (schemathesis' own pytest
plugin does not run under pytest 9, so Hypothesis drives each operation here.)"""

import schemathesis
from hypothesis import HealthCheck, given, settings

from models import clock
from tests.insight.world import place

OUR_PATHS = r"^/api/v1/(declarations|certificates)/"
EXAMPLES = 25


def test_api_matches_its_openapi_document(app):
    client = app.test_client()
    token = client.post("/api/v1/security/login", json={"username": "zcb", "password": "Demo2026"}).json
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    with app.app_context():
        place(1, "office_review", clock.now())
        place(2, "approved", clock.now())
    schema = schemathesis.openapi.from_wsgi("/api/v1/_openapi", app, headers=headers).include(path_regex=OUR_PATHS)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 5

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case):
            case.call_and_validate(headers=headers)

        run()
