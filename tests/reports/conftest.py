import pytest

from tests.conftest import APPLICANT_ID, login
from tests.declaring import declaration_id, fill


@pytest.fixture
def declared(app, client):
    """The demo applicant signed in, with a filled-in declaration (its id)."""
    login(client, APPLICANT_ID)
    fill(client, app)
    return declaration_id(app)
