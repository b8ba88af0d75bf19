"""Slow clients (#10 item 9, #11): with the repository's gunicorn settings,
two connections that send upload headers and never the body do not delay a
login by more than a second (measured by hand with `-k sync -w 2`, the same
two clients hold both workers and the login waits for as long as they do)."""
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SLOW_UPLOAD = (b"POST /declaration/files HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               b"Content-Type: multipart/form-data; boundary=zz\r\nContent-Length: 5000000\r\n\r\n--zz\r\n")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("slow")
    env = dict(os.environ, ENV="production", SECRET_KEY="k" * 48, INSTANCE_DIR=str(tmp),
               PUBLIC_BASE_URL="http://127.0.0.1",  # production refuses to start without it
               FIELD_ENCRYPTION_KEYS="3q2-7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", FIELD_HMAC_KEY="h" * 32,
               DATABASE_URL=f"sqlite:///{tmp / 'app.db'}", FLASK_APP="run.py", GUNICORN_ACCESSLOG="")
    for name in ("CAPTCHA_FIXED_CODE", "REDIS_URL", "JOB_REDIS_URL"):
        env.pop(name, None)
    setup = subprocess.run([str(BIN / "flask"), "setup"], cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=120)
    assert setup.returncode == 0, setup.stderr[-2000:]
    return env


def serve(env, *args):
    port = free_port()
    server = subprocess.Popen([str(BIN / "gunicorn"), *args, "-b", f"127.0.0.1:{port}", "run:app"], cwd=ROOT,
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)  # noqa: S310 (loopback)
            return server, port
        except OSError:
            time.sleep(0.3)
    server.kill()
    pytest.fail("gunicorn did not start")


def login_page_seconds(port, timeout) -> float:
    started = time.monotonic()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=timeout) as response:  # noqa: S310
        assert response.status == 200 and "个人登录" in response.read().decode()
    return time.monotonic() - started


def hold_slow_uploads(port, count=2):
    slow = []
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(SLOW_UPLOAD)
        slow.append(s)
    time.sleep(0.5)   # the server has taken them
    return slow


def test_two_slow_uploads_do_not_delay_a_login(prepared):
    env = dict(prepared, GUNICORN_WORKERS="2")
    server, port = serve(env, "-c", str(ROOT / "gunicorn.conf.py"))
    try:
        login_page_seconds(port, 10)   # warm
        slow = hold_slow_uploads(port)
        times = [login_page_seconds(port, 5) for _ in range(5)]
        assert max(times) < 1.0, times
        for s in slow:
            s.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
