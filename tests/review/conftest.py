"""Fixtures of the review tests."""
import pytest

from tests.conftest import APPLICANT_ID, login, logout
from tests.declaring import declaration_id, fill, status_of, submit


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
