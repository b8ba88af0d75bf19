"""Where stored files (attachments, finished exports) live, behind one small
interface: save, read, delete, exists, keys. `STORAGE_BACKEND` picks it:

- `local` keeps them under UPLOAD_DIR (never under static/), one host only;
- `s3` keeps them in a bucket of any S3-compatible service (boto3), shared
  by every instance. Files are never public: the app reads them and serves
  them after its own owner/scope check.

A failed write raises `StorageError` (the caller tells the person
文件保存失败，请稍后重试); a missing file raises `StorageMissing`.
"""
from __future__ import annotations

import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from flask import current_app

SAVE_FAILED = "文件保存失败，请稍后重试"


class StorageError(OSError):
    """The storage could not do what was asked (disk full, bucket down …)."""


class StorageMissing(StorageError, FileNotFoundError):
    """No file under this key (e.g. after restoring a database without its files)."""


def check_key(key: str) -> str:
    # Keys are made by the server (uuid hex + suffix); refuse anything else.
    if not key or "/" in key or "\\" in key or key.startswith(".") or len(key) > 100:
        raise ValueError("bad storage key")
    return key


class LocalStorage:
    name = "local"

    def __init__(self, root: str):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)[:2] / key

    def save(self, key: str, data: bytes) -> None:
        """Write to a temporary file and move it into place: a reader never
        sees half a file, and a failed write leaves nothing behind."""
        path = self._path(key)
        tmp = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except OSError as exc:
            if tmp:
                Path(tmp).unlink(missing_ok=True)
            raise StorageError(f"cannot write {key}: {exc.strerror or exc}") from exc
        except BaseException:
            if tmp:
                Path(tmp).unlink(missing_ok=True)
            raise

    def read(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError as exc:
            raise StorageMissing(key) from exc
        except OSError as exc:
            raise StorageError(f"cannot read {key}: {exc.strerror or exc}") from exc

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def keys(self) -> Iterator[tuple[str, datetime]]:
        """Every stored key with its time of writing (UTC)."""
        if not self.root.is_dir():
            return
        for path in self.root.glob("*/*"):
            if path.is_file() and not path.name.startswith("."):
                yield path.name, datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)

    def ping(self) -> None:
        if not self.root.exists():
            self.root.mkdir(parents=True, exist_ok=True)
        if not os.access(self.root, os.W_OK):
            raise StorageError(f"{self.root} is not writable")


class S3Storage:
    name = "s3"

    def __init__(self, bucket: str, prefix: str = "", **client_options):
        import boto3
        from botocore.config import Config as BotoConfig

        self.bucket, self.prefix = bucket, prefix
        timeouts = BotoConfig(connect_timeout=client_options.pop("connect_timeout", 2),
                              read_timeout=client_options.pop("read_timeout", 20),
                              retries={"max_attempts": 3, "mode": "standard"},
                              s3={"addressing_style": client_options.pop("addressing_style", "auto")})
        self.client = boto3.client("s3", config=timeouts,
                                   **{k: v for k, v in client_options.items() if v is not None})

    def _k(self, key: str) -> str:
        return self.prefix + check_key(key)

    def _call(self, what: str, key: str, fn, **kwargs):
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return fn(Bucket=self.bucket, **kwargs)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("NoSuchKey", "404", "NotFound"):
                raise StorageMissing(key) from exc
            raise StorageError(f"cannot {what} {key}: {code}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"cannot {what} {key}: {exc}") from exc

    def save(self, key: str, data: bytes) -> None:
        # One PUT: the object appears whole or not at all.
        self._call("write", key, self.client.put_object, Key=self._k(key), Body=data)

    def read(self, key: str) -> bytes:
        return self._call("read", key, self.client.get_object, Key=self._k(key))["Body"].read()

    def delete(self, key: str) -> None:
        self._call("delete", key, self.client.delete_object, Key=self._k(key))

    def exists(self, key: str) -> bool:
        try:
            self._call("check", key, self.client.head_object, Key=self._k(key))
            return True
        except StorageMissing:
            return False

    def size(self, key: str) -> int:
        return self._call("check", key, self.client.head_object, Key=self._k(key))["ContentLength"]

    def keys(self) -> Iterator[tuple[str, datetime]]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix)
        for page in pages:
            for item in page.get("Contents", []):
                yield item["Key"][len(self.prefix):], item["LastModified"]

    def ping(self) -> None:
        self._call("reach", self.bucket, self.client.head_bucket)


def make_storage(cfg) -> LocalStorage | S3Storage:
    if cfg.get("STORAGE_BACKEND", "local") == "s3":
        if not cfg.get("S3_BUCKET"):
            raise RuntimeError("STORAGE_BACKEND=s3 needs S3_BUCKET")
        return S3Storage(cfg["S3_BUCKET"], cfg.get("S3_PREFIX") or "",
                         endpoint_url=cfg.get("S3_ENDPOINT_URL"), region_name=cfg.get("S3_REGION"),
                         aws_access_key_id=cfg.get("S3_ACCESS_KEY_ID"),
                         aws_secret_access_key=cfg.get("S3_SECRET_ACCESS_KEY"),
                         addressing_style=cfg.get("S3_ADDRESSING_STYLE") or "auto")
    return LocalStorage(cfg["UPLOAD_DIR"])


def storage() -> LocalStorage | S3Storage:
    """The configured storage; the S3 client is made once per app and
    settings (tests switch backends by changing the config)."""
    cfg = current_app.config
    signature = (cfg.get("STORAGE_BACKEND", "local"), cfg.get("S3_BUCKET"), cfg.get("S3_ENDPOINT_URL"),
                 cfg.get("S3_PREFIX"), cfg["UPLOAD_DIR"])
    cached = current_app.extensions.get("storage")
    if cached is None or cached[0] != signature:
        cached = (signature, make_storage(cfg))
        current_app.extensions["storage"] = cached
    return cached[1]
