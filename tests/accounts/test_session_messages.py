"""Messages waiting in a session (flash) are kept once each and only the
latest few, so a client that posts again and again without following the
redirects cannot grow its session with every request."""
from tests.conftest import APPLICANT_ID, csrf_token, login, page_text
from tests.declaring import basic


def test_repeated_saves_leave_one_message_waiting(app, client):
    login(client, APPLICANT_ID)
    fields = dict(basic(app), csrf_token=csrf_token(client, "/declaration/basic"))
    for _ in range(15):   # never following the redirect, which would show the message
        assert client.post("/declaration/basic", data=fields).status_code == 302
    page = page_text(client.get("/declaration/basic"))
    assert page.count("保存成功") == 1
    assert page_text(client.get("/declaration/basic")).count("保存成功") == 0   # shown once, then gone
