"""Fixtures of the review tests."""
import pytest

from app.accounts.auth import create_applicant
from tests.conftest import APPLICANT_ID, login, logout
from tests.declaring import act, declaration_id, fill, status_of, submit

OTHER_ID, OTHER_PHONE = "11010519491231002X", "13700000009"


@pytest.fixture
def submitted(app, client):
    """张明's complete engineering declaration, submitted."""
    login(client, APPLICANT_ID)
    fill(client, app)
    assert submit(client).status_code == 302
    decl = declaration_id(app)
    assert status_of(app, decl) == "unit_review"
    logout(client)
    return decl


def received(app, client, username=APPLICANT_ID):
    """A complete engineering declaration taken to 评委会评审 (received by the committee)."""
    c = app.test_client()
    login(c, username, password="Demo2026" if username == APPLICANT_ID else "abc12345")
    fill(c, app, username=username)
    assert submit(c).status_code == 302
    decl = declaration_id(app, username)
    for reviewer, action in (("baili_hr", "approve"), ("gxj_zc", "approve"), ("gc_pwh", "receive")):
        login(client, reviewer)
        assert act(client, decl, action).status_code == 302
    logout(client)
    assert status_of(app, decl) == "committee_review"
    return decl


@pytest.fixture
def decl(app, client):
    return received(app, client)


@pytest.fixture
def two(app, client):
    with app.app_context():
        create_applicant("王芳", OTHER_ID, "wf@example.com", OTHER_PHONE, "abc12345")
    return received(app, client), received(app, client, OTHER_ID)
