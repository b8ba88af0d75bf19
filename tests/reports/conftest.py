import pytest

import reports.pdf

from tests.conftest import APPLICANT_ID, login
from tests.declaring import declaration_id, fill


@pytest.fixture
def declared(app, client):
    """The demo applicant signed in, with a filled-in declaration (its id)."""
    login(client, APPLICANT_ID)
    fill(client, app)
    return declaration_id(app)


@pytest.fixture
def renders(monkeypatch):
    """The HTML of every PDF actually rendered (not read back from the kept ones)."""
    calls = []
    real = reports.pdf._render

    def counting(html, fonts):
        calls.append(html)
        return real(html, fonts)
    monkeypatch.setattr(reports.pdf, "_render", counting)
    return calls
