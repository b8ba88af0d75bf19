"""What an operator deploys with: keys made by one command, and a proxy that
lets through every request the app accepts."""
import re
from pathlib import Path

from cryptography.fernet import Fernet

import config
from app import create_app

ROOT = Path(__file__).resolve().parents[2]


def test_make_keys_prints_fresh_keys_that_start_a_production_app(app, monkeypatch):
    runner = app.test_cli_runner()
    first, second = (runner.invoke(args=["make-keys"]) for _ in range(2))
    assert first.exit_code == 0, first.output
    keys = dict(line.split("=", 1) for line in first.output.split())
    assert set(keys) == {"SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "FIELD_HMAC_KEY"}
    assert len(keys["SECRET_KEY"]) >= 64 and len(keys["FIELD_HMAC_KEY"]) >= 64
    token = Fernet(keys["FIELD_ENCRYPTION_KEYS"]).encrypt(b"x")   # a valid Fernet key
    assert Fernet(keys["FIELD_ENCRYPTION_KEYS"]).decrypt(token) == b"x"
    assert first.output != second.output   # never the same keys twice
    production = create_app("production", {**keys, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                                           "PUBLIC_BASE_URL": "https://zc.example.gov.cn"})
    assert production.config["SECRET_KEY"] == keys["SECRET_KEY"]


def _nginx_bytes(value: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([kKmMgG]?)", value).groups()
    return int(number) * {"": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}[unit.lower()]


def test_the_shipped_proxy_accepts_every_body_the_app_accepts():
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    limits = re.findall(r"^\s*client_max_body_size\s+(\S+);", conf, re.M)
    assert limits, "deploy/nginx.conf sets no client_max_body_size"
    for limit in limits:
        assert _nginx_bytes(limit) >= config.Config.MAX_CONTENT_LENGTH >= config.Config.UPLOAD_MAX_BYTES, limit
