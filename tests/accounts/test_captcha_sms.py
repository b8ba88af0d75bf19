"""The image captcha and the SMS backends (A9)."""
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from app.accounts import captcha
from app.platform.sms import SmsError, send_sms
from tests.conftest import APPLICANT_ID, csrf_token, page_text


@pytest.fixture
def real_captcha(app, monkeypatch):
    """Captchas as in production, with a known answer."""
    app.config["CAPTCHA_FIXED_CODE"] = None
    monkeypatch.setattr(captcha, "new_code", lambda: "ABCD")


def login_with(client, answer):
    token = csrf_token(client, "/login/")
    return client.post("/login/", data={"username": APPLICANT_ID, "password": "Demo2026", "captcha": answer,
                                        "csrf_token": token})


def test_captcha_image(client, real_captcha):
    response = client.get("/captcha.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert response.headers["Cache-Control"] == "no-store"


def test_captcha_right_answer_any_case(client, real_captcha):
    client.get("/captcha.png")  # answer ABCD
    assert login_with(client, "abcd").status_code == 302


def test_captcha_is_single_use_even_when_wrong(client, real_captcha):
    client.get("/captcha.png")  # ABCD
    response = login_with(client, "WXYZ")
    assert response.status_code == 400 and "图形验证码错误" in page_text(response)
    response = login_with(client, "ABCD")  # the answer was discarded with the wrong guess
    assert response.status_code == 400 and "已失效" in page_text(response)


def test_captcha_expires(app, client, real_captcha, monkeypatch):
    client.get("/captcha.png")
    now = captcha.time.time()
    monkeypatch.setattr(captcha.time, "time", lambda: now + app.config["CAPTCHA_TTL_SECONDS"] + 1)
    response = login_with(client, "ABCD")
    assert response.status_code == 400 and "已过期" in page_text(response)


def test_console_backend_writes_json_lines(app):
    with app.test_request_context():
        send_sms("13800000001", "你好")
    lines = open(app.config["SMS_OUTBOX"], encoding="utf-8").read().splitlines()
    message = json.loads(lines[-1])
    assert message["phone"] == "13800000001" and message["text"].endswith("你好") and message["time"]


class Gateway(BaseHTTPRequestHandler):
    received = []

    def do_POST(self):  # noqa: N802 (http.server's name)
        length = int(self.headers["Content-Length"])
        Gateway.received.append((self.headers.get("Authorization"), self.rfile.read(length).decode("utf-8")))
        self.send_response(200 if "fail" not in self.path else 500)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_http_backend_posts_the_template(app, monkeypatch):
    server = HTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setitem(app.config, "SMS_BACKEND", "http")
        monkeypatch.setitem(app.config, "SMS_HTTP_URL", f"http://127.0.0.1:{server.server_port}/send")
        monkeypatch.setitem(app.config, "SMS_HTTP_TOKEN", "gateway-token")
        monkeypatch.setitem(app.config, "SMS_HTTP_TEMPLATE", '{"mobile": "{phone}", "content": "{text}"}')
        with app.test_request_context():
            send_sms("13800000001", '验证码"123456"')
        auth, body = Gateway.received[-1]
        assert auth == "Bearer gateway-token"
        assert json.loads(body) == {"mobile": "13800000001", "content": app.config["SMS_SIGNATURE"] + '验证码"123456"'}
        monkeypatch.setitem(app.config, "SMS_HTTP_URL", f"http://127.0.0.1:{server.server_port}/fail")
        with app.test_request_context(), pytest.raises(SmsError):
            send_sms("13800000001", "x")
    finally:
        server.shutdown()
