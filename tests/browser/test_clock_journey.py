"""Times in the browser are Beijing's, with the server in UTC: a submission at
23:30 Beijing time (15:30 UTC) shows 2026-12-31 23:30 on 审批流程."""
import os
import time
from datetime import datetime, timezone

import pytest

from tests.browser.conftest import shot, sign_in
from tests.conftest import APPLICANT_ID, login
from tests.declaring import fill, submit
from tests.platform.test_clock import window_of_2026


@pytest.fixture
def server_in_utc():
    before = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if before is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = before
    time.tzset()


def test_flow_shows_beijing_time(app, client, live_server, page, server_in_utc, monkeypatch):
    moment = datetime(2026, 12, 31, 15, 30, tzinfo=timezone.utc)
    monkeypatch.setattr("models.clock._utcnow", lambda: moment)
    window_of_2026(app)
    login(client, APPLICANT_ID)
    fill(client, app)
    assert submit(client).status_code == 302
    sign_in(page, live_server, APPLICANT_ID)
    assert "本次登录 2026-12-31 23:30" in page.inner_text("body")
    page.goto(live_server + "/declaration/flow")
    flow = page.inner_text("main") if page.query_selector("main") else page.inner_text("body")
    assert "2026-12-31 23:30" in flow and "2026-12-31 15:30" not in flow
    shot(page, "clock-flow-beijing-time")
