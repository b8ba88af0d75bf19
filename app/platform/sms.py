"""Sending SMS through a pluggable backend (PRODUCT A9).

- console: appends each message as one JSON line {"phone", "text", "time"}
  to SMS_OUTBOX and logs it (masked), for developers and tests;
- http: POSTs to a configured gateway (SMS_HTTP_URL), the body made from
  SMS_HTTP_TEMPLATE with {phone} and {text} filled in (JSON-escaped).
"""
from __future__ import annotations

import fcntl
import json
import logging
import time
import urllib.request
import uuid
from pathlib import Path

from flask import current_app

from app.platform.jobs import enqueue, task
from app.platform.kvstore import kv
from models import clock
from models.identity import mask_phone

log = logging.getLogger(__name__)


class SmsError(RuntimeError):
    pass


class ConsoleBackend:
    def __init__(self, outbox: str):
        self.outbox = Path(outbox)

    def send(self, phone: str, text: str) -> None:
        self.outbox.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"phone": phone, "text": text, "time": clock.now().isoformat(timespec="seconds")},
                          ensure_ascii=False)
        with self.outbox.open("a", encoding="utf-8") as f:
            fcntl.flock(f, fcntl.LOCK_EX)  # several workers append to one file
            f.write(line + "\n")
        log.info("SMS to %s written to %s", mask_phone(phone), self.outbox)


class HttpBackend:
    def __init__(self, url: str, template: str, token: str | None, timeout: int):
        if not url:
            raise SmsError("SMS_BACKEND=http needs SMS_HTTP_URL")
        self.url, self.template, self.token, self.timeout = url, template, token, timeout

    def send(self, phone: str, text: str) -> None:
        def esc(v):
            return json.dumps(v, ensure_ascii=False)[1:-1]

        body = self.template.replace("{phone}", esc(phone)).replace("{text}", esc(text))
        req = urllib.request.Request(self.url, data=body.encode("utf-8"), method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8"})
        if self.token:
            req.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310  # nosec B310 - the URL is the operator-configured SMS gateway, not user input
                if resp.status >= 300:
                    raise SmsError(f"gateway answered {resp.status}")
        except OSError as exc:
            raise SmsError(str(exc)) from exc
        log.info("SMS to %s sent through the gateway", mask_phone(phone))


def backend():
    cfg = current_app.config
    name = cfg["SMS_BACKEND"]
    if name == "console":
        return ConsoleBackend(cfg["SMS_OUTBOX"])
    if name == "http":
        return HttpBackend(cfg["SMS_HTTP_URL"], cfg["SMS_HTTP_TEMPLATE"], cfg["SMS_HTTP_TOKEN"],
                           cfg["SMS_HTTP_TIMEOUT"])
    raise SmsError(f"unknown SMS_BACKEND {name!r}")


def send_sms(phone: str, text: str) -> None:
    backend().send(phone, current_app.config["SMS_SIGNATURE"] + text)


SEND_TASK = "sms.send"


def queue_sms(phone: str, text: str, valid_seconds: int = 86400) -> None:
    """Send outside the request: the web request only enqueues, so a slow or
    down gateway never fails or stalls a page. The queue retries with back-off;
    a retry sends the same text (the same code), never a new one."""
    enqueue(SEND_TASK, phone, text, uuid.uuid4().hex, time.time() + valid_seconds)


@task(SEND_TASK, retries=4, keep_failed=600)
def send_task(phone: str, text: str, message_id: str, expires: float) -> None:
    if time.time() > expires:
        log.warning("SMS to %s dropped: its content expired before it could be sent", mask_phone(phone))
        return
    # Once sent, never again (a job re-run after its worker died mid-way).
    if kv().get(f"sms-done:{message_id}"):
        return
    send_sms(phone, text)
    kv().set(f"sms-done:{message_id}", "1", 86400)
