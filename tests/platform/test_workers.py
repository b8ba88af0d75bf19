"""Several gunicorn workers on a database prepared by `flask setup` start
cleanly and serve (no permission race at start-up), as in production."""
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(not (BIN / "gunicorn").exists(), reason="gunicorn is not installed")
def test_three_workers_on_a_fresh_database(tmp_path):
    env = dict(os.environ, ENV="production", SECRET_KEY="k" * 48, INSTANCE_DIR=str(tmp_path),
               PUBLIC_BASE_URL="http://127.0.0.1",  # production refuses to start without it
               DATABASE_URL=f"sqlite:///{tmp_path / 'fresh.db'}", FLASK_APP="run.py",
               # production refuses to start without the keys of encrypted identifiers (#10 item 6)
               FIELD_ENCRYPTION_KEYS="3q2-7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", FIELD_HMAC_KEY="h" * 32)
    env.pop("CAPTCHA_FIXED_CODE", None)
    setup = subprocess.run([str(BIN / "flask"), "setup"], cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=120)
    assert setup.returncode == 0, setup.stderr[-2000:]
    port = free_port()
    server = subprocess.Popen([str(BIN / "gunicorn"), "-w", "3", "-b", f"127.0.0.1:{port}", "run:app"], cwd=ROOT,
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        statuses = []
        deadline = time.time() + 60
        while time.time() < deadline and len(statuses) < 30:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=5) as response:
                    statuses.append(response.status)
                    assert "个人登录" in response.read().decode()
            except OSError:
                time.sleep(0.3)
        assert statuses == [200] * 30
        assert server.poll() is None, "a worker crashed"
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0]
    assert "Worker failed to boot" not in output and "IntegrityError" not in output, output[-3000:]


AFTER_BURSTS_OF_UPLOADS = """
import runpy, sys, threading
from pathlib import Path
sys.path.insert(0, {root!r})
conf = runpy.run_path({root!r} + "/gunicorn.conf.py")
conf["post_fork"](None, None)               # as gunicorn calls it in each new worker
from app.declaration.uploads import process_image
from tests import images
photos = [images.phone_jpeg(orientation=6), images.noisy_jpeg(), images.huge_png()]
def rss_mb():
    status = Path("/proc/self/status").read_text().splitlines()
    return int(next(line for line in status if line.startswith("VmRSS")).split()[1]) // 1024
for photo in photos:
    process_image(photo)
before = rss_mb()
for _ in range(2):   # two bursts: eight threads of the worker uploading three pictures each
    threads = [threading.Thread(target=lambda: [process_image(p) for p in photos]) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
print(rss_mb() - before)
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the resident set from /proc")
def test_a_worker_gives_photo_memory_back_after_uploads():
    """A worker as gunicorn.conf.py starts it keeps no more than a few MB
    after bursts of parallel uploads (without the setting: 80–90 MB)."""
    out = subprocess.run([sys.executable, "-c", AFTER_BURSTS_OF_UPLOADS.format(root=str(ROOT))], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    assert int(out.stdout.strip()) < 30, out.stdout


LOADED_WORKER = """
import gc, runpy, sys, time
sys.path.insert(0, {root!r})
conf = runpy.run_path({root!r} + "/gunicorn.conf.py")
from run import app                           # a worker loads the app, then gunicorn calls post_worker_init
def full_collection_ms():
    started = time.perf_counter()
    gc.collect()
    return (time.perf_counter() - started) * 1000
before = min(full_collection_ms() for _ in range(3))
conf["post_worker_init"](None)
after = min(full_collection_ms() for _ in range(3))
print(gc.get_freeze_count(), before, after)
"""


def test_a_loaded_worker_leaves_its_app_out_of_collections(tmp_path):
    """After post_worker_init the app's objects are frozen: a full
    collection no longer walks them."""
    env = dict(os.environ, INSTANCE_DIR=str(tmp_path), DATABASE_URL=f"sqlite:///{tmp_path / 'w.db'}")
    out = subprocess.run([sys.executable, "-c", LOADED_WORKER.format(root=str(ROOT))], cwd=ROOT, env=env,
                         capture_output=True, text=True, check=True)
    frozen, before, after = out.stdout.split()
    assert int(frozen) > 100_000, out.stdout           # the app, not a handful of objects
    assert float(after) < float(before) / 5, out.stdout
