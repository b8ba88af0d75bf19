"""Every link a person is offered opens: for every demo account (an expert
drawn into an open meeting among them), each link of the menu and of the home
page answers neither 403 nor 404, nor sends them back to the login page. A
link the role cannot open is not shown at all."""
import html as markup
import re

import pytest

from app.data.demo import ACCOUNTS, EXPERTS
from tests.committee import prepare, present_experts
from tests.conftest import login, page_text
from tests.review.conftest import received

LINK_RE = re.compile(r'<a\b[^>]*\bhref="([^"#][^"]*)"')


def links_of(html: str) -> set[str]:
    """The application's own links on a page (not the logout form, other sites or anchors)."""
    found = {markup.unescape(h) for h in LINK_RE.findall(html)}
    return {h for h in found if h.startswith("/") and not h.startswith("//") and not h.startswith("/logout")}


def broken_links(client, username) -> dict[str, int | str]:
    response = login(client, username)
    assert response.status_code == 302 and "/login" not in response.headers["Location"], username
    home = client.get("/")
    assert home.status_code == 200, username
    broken = {}
    for href in sorted(links_of(page_text(home))):
        answer = client.get(href)
        if answer.status_code in (403, 404) or answer.status_code >= 500:
            broken[href] = answer.status_code
        elif answer.status_code in (301, 302) and "/login" in answer.headers.get("Location", ""):
            broken[href] = "→ login"
    return broken


@pytest.fixture
def drawn(app, client):
    """张明's declaration received by the 工程技术 committee, its 机械组 drawn and the meeting open."""
    decl = received(app, client)
    group_id = prepare(app, [decl])
    return decl, present_experts(app, group_id)


def test_every_link_of_every_role_opens(app, client, drawn):
    decl, experts = drawn
    undrawn = next(username for username, *_ in EXPERTS if username not in experts)
    usernames = [username for username, *_ in ACCOUNTS] + [experts[0], undrawn]
    failures = {}
    for username in usernames:
        broken = broken_links(client, username)
        if broken:
            failures[username] = broken
    assert not failures, failures


def test_the_drawn_experts_home_links_their_task(app, client, drawn):
    decl, experts = drawn
    login(client, experts[0])
    html = page_text(client.get("/"))
    assert f'href="/expert/{decl}"' in html and "机械组" in html and "待投票" in html
    assert "目前没有待您处理的申报" not in html and "统计分析" not in html
