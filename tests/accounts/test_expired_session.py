"""A form sent after the session expired (#9 item 2): a page that says 登录已超时
and what to do, never a bare 400; uploads get the same in JSON; 继续保持登录."""
from sqlalchemy import text

from app.platform.extensions import db
from tests.conftest import APPLICANT_ID, csrf_token, login, page_text
from tests.declaring import basic, post


def expire_sessions(app):
    with app.app_context():
        db.session.execute(text("DELETE FROM kv_entry WHERE key LIKE 'session:%'"))
        db.session.commit()


def test_expired_session_on_a_form_says_what_to_do(app, client):
    login(client, APPLICANT_ID)
    assert post(client, "/declaration/basic", basic(app)).status_code == 302
    token = csrf_token(client, "/declaration/achievements")
    expire_sessions(app)
    response = client.post("/declaration/achievements", data={"csrf_token": token, "content": "很长的业绩"},
                           headers={"Referer": "http://localhost/declaration/achievements"})
    html = page_text(response)
    assert response.status_code == 400 and "登录已超时" in html and "本次提交没有保存" in html
    assert "/login/?next=/declaration/achievements" in html
    # a foreign referrer never becomes the way back
    response = client.post("/declaration/achievements", data={"csrf_token": token},
                           headers={"Referer": "https://evil.example/declaration"})
    import re
    assert re.search(r'id="login-link"', page_text(response))
    assert re.findall(r'href="(/login/[^"]*)"', page_text(response)) == ["/login/?next=/"]


def test_expired_session_on_an_upload_answers_json(app, client):
    login(client, APPLICANT_ID)
    token = csrf_token(client, "/declaration/basic")
    expire_sessions(app)
    response = client.post("/declaration/files", data={"csrf_token": token},
                           headers={"Accept": "application/json"})
    assert response.status_code == 400 and response.json["expired"] and "登录已超时" in response.json["message"]


def test_a_stale_page_of_a_signed_in_person(app, client):
    login(client, APPLICANT_ID)
    response = client.post("/declaration/basic", data={"csrf_token": "forged"})
    assert response.status_code == 400 and "页面已过期" in page_text(response)


def test_keepalive(app, client):
    assert client.get("/session/keepalive").json["ok"] is False
    login(client, APPLICANT_ID)
    answer = client.get("/session/keepalive").json
    assert answer["ok"] is True and answer["idle_seconds"] == app.config["SESSION_IDLE_MINUTES"] * 60
    html = page_text(client.get("/"))
    assert 'name="session-idle"' in html and 'name="draft-owner"' in html
