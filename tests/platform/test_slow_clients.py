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


def closed_port() -> int:
    return free_port()   # bound once, then released: nothing listens there


def read_response(sock) -> tuple[int, dict, bytes]:
    """One HTTP/1.1 response from a kept-alive socket (Content-Length framed)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before a response: {data[:200]!r}")
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    length = int(headers.get("content-length", 0))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed in the middle of a response")
        body += chunk
    return int(lines[0].split()[1]), headers, body[:length]


def upload_request(size: int) -> bytes:
    head = (b"--zz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.jpg\"\r\n"
            b"Content-Type: image/jpeg\r\n\r\n")
    body = head + b"\xff" * size + b"\r\n--zz--\r\n"
    return (b"POST /declaration/files HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n"
            b"Content-Type: multipart/form-data; boundary=zz\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)


def test_an_early_answer_leaves_the_kept_alive_connection_usable(prepared):
    """Redis unreachable: an upload is answered 503 before its body is read.
    The proxy (nginx, keepalive to the upstream) sends the next request on the
    same connection: it gets a proper answer. A body above MAX_CONTENT_LENGTH
    is not read: then the answer says Connection: close, so the proxy never
    reuses the connection (never a bare 502)."""
    env = dict(prepared, GUNICORN_WORKERS="1", REDIS_URL=f"redis://127.0.0.1:{closed_port()}/0",
               UPLOAD_MAX_BYTES="900000", MAX_CONTENT_LENGTH="1000000")
    server, port = serve(env, "-c", str(ROOT / "gunicorn.conf.py"))
    try:
        for size in (70_000, 300_000, 990_000):   # gunicorn itself discards at most 64 KB
            with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
                sock.sendall(upload_request(size))
                status, headers, body = read_response(sock)
                assert status == 503 and "服务暂时不可用" in body.decode()
                assert headers["connection"].lower() == "keep-alive"
                for _ in range(2):
                    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                    status, headers, body = read_response(sock)
                    assert status == 200 and b"ok" in body
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(upload_request(1_000_000)[:200_000])   # above the limit: never read
            status, headers, body = read_response(sock)
            assert status == 503 and headers["connection"].lower() == "close"
    finally:
        server.terminate()
        server.wait(timeout=30)
