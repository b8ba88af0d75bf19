"""A live server on a free loopback port and headless Chromium (Debian's
package, driven by Playwright) for tests that look at pages as a person does."""
import re
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import CAPTCHA, missing_service

SCREENSHOTS = Path(__file__).resolve().parent.parent / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        missing_service("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # A form shown again with its messages answers 400 (429 when rate limited);
    # the browser logs that, and the tests check those pages themselves.
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and not re.search(
        r"status of (400|429)", m.text) else None)
    yield page
    context.close()
    assert not errors, errors


def sign_in(page, base, username, password="Demo2026"):
    """Log in through the login page as a person would (fixed captcha of the tests)."""
    submit_login(page, base, username, password)
    page.wait_for_selector("text=您好")


def submit_login(page, base, username, password="Demo2026"):
    """Fill in and send the login form; where it leads (a second step) is the caller's."""
    # Leave the previous page first: its images still loading would, without a
    # cookie, each be sent to the login page and get a new visitor's cookie
    # after the one the login form was made for.
    page.goto("about:blank")
    page.context.clear_cookies()
    page.goto(base + "/login/")
    page.fill("#username", username)
    page.fill("#password", password)
    page.fill("#captcha", CAPTCHA)
    page.click("#login-button")


def shot(page, name):
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
