"""Where stored files (attachments, finished exports) live, behind one small
interface: save, read, delete, exists, keys. `STORAGE_BACKEND` picks it:

- `local` keeps them under UPLOAD_DIR (never under static/), one host only;
- `s3` keeps them in a bucket of any S3-compatible service (boto3), shared
  by every instance. Files are never public: the app reads them and serves
  them after its own owner/scope check.

A failed write raises `StorageError` (the caller tells the person
文件保存失败，请稍后重试); a missing file raises `StorageMissing`; any other
failure not caught on the way is answered 503 存储服务暂时不可用.

A bucket that hangs instead of refusing is bounded twice: every call gives
up within S3_MAX_ATTEMPTS × (S3_CONNECT_TIMEOUT + S3_READ_TIMEOUT), and at
most STORAGE_CONCURRENCY calls per process wait on it at once (another
waits STORAGE_WAIT_SECONDS for a turn, then fails with `StorageBusy`), so
that pages which need no file keep their threads; after a call found it
unreachable, calls fail at once for STORAGE_PAUSE_SECONDS.
"""
from __future__ import annotations

import os
import tempfile
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from flask import current_app

SAVE_FAILED = "文件保存失败，请稍后重试"
UNAVAILABLE = "存储服务暂时不可用，请稍后重试"


class StorageError(OSError):
    """The storage could not do what was asked (disk full, bucket down …)."""


class StorageMissing(StorageError, FileNotFoundError):
    """No file under this key (e.g. after restoring a database without its files)."""


class StorageBusy(StorageError):
    """Every turn of this process at the storage is taken by calls still waiting on it."""


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

    def ping(self, budget: float | None = None) -> None:
        if not self.root.exists():
            self.root.mkdir(parents=True, exist_ok=True)
        if not os.access(self.root, os.W_OK):
            raise StorageError(f"{self.root} is not writable")


def _unreachable_errors() -> tuple[type, ...]:
    from botocore.exceptions import ConnectionClosedError, ConnectTimeoutError, EndpointConnectionError, \
        ReadTimeoutError

    return ConnectTimeoutError, ReadTimeoutError, EndpointConnectionError, ConnectionClosedError


class S3Storage:
    name = "s3"

    def __init__(self, bucket: str, prefix: str = "", *, connect_timeout: float = 2, read_timeout: float = 8,
                 max_attempts: int = 2, concurrency: int = 4, wait: float = 2, pause: float = 10,
                 **client_options):
        self.bucket, self.prefix = bucket, prefix
        self.addressing_style = client_options.pop("addressing_style", "auto")
        self.client_options = {k: v for k, v in client_options.items() if v is not None}
        self.client = self._client(connect_timeout, read_timeout, max_attempts)
        self.turns, self.wait = threading.BoundedSemaphore(max(1, concurrency)), wait
        self.pause, self.unreachable_until = pause, 0.0
        self._quick: dict[float, object] = {}

    def _client(self, connect_timeout: float, read_timeout: float, attempts: int):
        import boto3
        from botocore.config import Config as BotoConfig

        # total_max_attempts counts the first try too: the budget is attempts × (connect + read).
        timeouts = BotoConfig(connect_timeout=connect_timeout, read_timeout=read_timeout,
                              retries={"total_max_attempts": max(1, attempts), "mode": "standard"},
                              s3={"addressing_style": self.addressing_style})
        return boto3.client("s3", config=timeouts, **self.client_options)

    @contextmanager
    def _turn(self):
        if time.monotonic() < self.unreachable_until:
            # It timed out or refused moments ago: a page that needs several files (the completeness
            # check) must not wait a whole budget for each of them.
            raise StorageBusy("the storage was unreachable moments ago")
        if not self.turns.acquire(timeout=self.wait):
            raise StorageBusy("every storage turn is taken by calls still waiting on the storage")
        try:
            yield
        finally:
            self.turns.release()

    def _k(self, key: str) -> str:
        return self.prefix + check_key(key)

    def _call(self, what: str, key: str, fn, **kwargs):
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            with self._turn():
                return fn(Bucket=self.bucket, **kwargs)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("NoSuchKey", "404", "NotFound"):
                raise StorageMissing(key) from exc
            raise StorageError(f"cannot {what} {key}: {code}") from exc
        except BotoCoreError as exc:
            if isinstance(exc, _unreachable_errors()):
                self.unreachable_until = time.monotonic() + self.pause
            raise StorageError(f"cannot {what} {key}: {exc}") from exc

    def save(self, key: str, data: bytes) -> None:
        # One PUT: the object appears whole or not at all.
        self._call("write", key, self.client.put_object, Key=self._k(key), Body=data)

    def read(self, key: str) -> bytes:
        # The body is read within the same turn and budget: a bucket may stall in the middle of it.
        return self._call("read", key, lambda **kw: self.client.get_object(**kw)["Body"].read(),
                          Key=self._k(key))

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

    def ping(self, budget: float | None = None) -> None:
        """Whether the bucket answers; with `budget` (seconds, /readyz) one
        attempt of a client of its own, outside the turns of the requests."""
        if budget is None:
            self._call("reach", self.bucket, self.client.head_bucket)
            return
        from botocore.exceptions import BotoCoreError, ClientError

        client = self._quick.get(budget)
        if client is None:
            client = self._quick[budget] = self._client(budget / 2, budget / 2, 1)
        try:
            client.head_bucket(Bucket=self.bucket)
            self.unreachable_until = 0.0   # it answers again
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"cannot reach {self.bucket}: {type(exc).__name__}") from exc


def make_storage(cfg) -> LocalStorage | S3Storage:
    if cfg.get("STORAGE_BACKEND", "local") == "s3":
        if not cfg.get("S3_BUCKET"):
            raise RuntimeError("STORAGE_BACKEND=s3 needs S3_BUCKET")
        return S3Storage(cfg["S3_BUCKET"], cfg.get("S3_PREFIX") or "",
                         endpoint_url=cfg.get("S3_ENDPOINT_URL"), region_name=cfg.get("S3_REGION"),
                         aws_access_key_id=cfg.get("S3_ACCESS_KEY_ID"),
                         aws_secret_access_key=cfg.get("S3_SECRET_ACCESS_KEY"),
                         addressing_style=cfg.get("S3_ADDRESSING_STYLE") or "auto",
                         connect_timeout=cfg.get("S3_CONNECT_TIMEOUT", 2), read_timeout=cfg.get("S3_READ_TIMEOUT", 8),
                         max_attempts=cfg.get("S3_MAX_ATTEMPTS", 2), concurrency=cfg.get("STORAGE_CONCURRENCY", 4),
                         wait=cfg.get("STORAGE_WAIT_SECONDS", 2), pause=cfg.get("STORAGE_PAUSE_SECONDS", 10))
    return LocalStorage(cfg["UPLOAD_DIR"])


_MAKING = threading.Lock()


def storage() -> LocalStorage | S3Storage:
    """The configured storage; the S3 client (and with it the process's
    turns at the bucket) is made once per app and settings — under a lock,
    so that threads starting together share one (tests switch backends by
    changing the config)."""
    cfg = current_app.config
    signature = (cfg.get("STORAGE_BACKEND", "local"), cfg.get("S3_BUCKET"), cfg.get("S3_ENDPOINT_URL"),
                 cfg.get("S3_PREFIX"), cfg["UPLOAD_DIR"], cfg.get("S3_CONNECT_TIMEOUT"), cfg.get("S3_READ_TIMEOUT"),
                 cfg.get("S3_MAX_ATTEMPTS"), cfg.get("STORAGE_CONCURRENCY"), cfg.get("STORAGE_WAIT_SECONDS"),
                 cfg.get("STORAGE_PAUSE_SECONDS"))
    cached = current_app.extensions.get("storage")
    if cached is None or cached[0] != signature:
        with _MAKING:
            cached = current_app.extensions.get("storage")
            if cached is None or cached[0] != signature:
                cached = (signature, make_storage(cfg))
                current_app.extensions["storage"] = cached
    return cached[1]
