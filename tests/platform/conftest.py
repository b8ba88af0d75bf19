"""An S3 endpoint for the storage tests: moto's server, started as its own
process and spoken to over HTTP on loopback (not an in-process patch)."""
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

MOTO = Path(sys.executable).parent / "moto_server"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint():
    if not MOTO.exists():
        from tests.conftest import missing_service
        missing_service("moto_server is not installed (requirements-dev.txt)")
    port = free_port()
    server = subprocess.Popen([str(MOTO), "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url + "/moto-api/", timeout=1)   # noqa: S310 (loopback)
            break
        except OSError:
            time.sleep(0.2)
    yield url
    server.terminate()
    server.wait(timeout=10)


S3_SETTINGS = {"S3_REGION": "us-east-1", "S3_ACCESS_KEY_ID": "test", "S3_SECRET_ACCESS_KEY": "test",
               "S3_ADDRESSING_STYLE": "path"}


@pytest.fixture
def bucket(app, s3_endpoint, monkeypatch):
    """A fresh bucket, and the app switched to it."""
    import boto3

    name = f"zc-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1", aws_access_key_id="test",
                          aws_secret_access_key="test")
    client.create_bucket(Bucket=name)
    for key, value in {**S3_SETTINGS, "STORAGE_BACKEND": "s3", "S3_BUCKET": name,
                       "S3_ENDPOINT_URL": s3_endpoint}.items():
        monkeypatch.setitem(app.config, key, value)
    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
    yield client, name
