"""What each role sees, rendered by a browser (scripts included): Chinese
only, and a screenshot of each work area."""
import re

import pytest

from tests.browser.conftest import shot, sign_in
from tests.conftest import APPLICANT_ID

PAGES = {
    APPLICANT_ID: ["/", "/account/password"],
    "baili_hr": ["/"],
    "gxj_zc": ["/", "/units/list/", "/units/add"],
    "gc_pwh": ["/"],
    "zcb": ["/", "/units/list/"],
    "admin": ["/", "/users/list/", "/users/add", "/roles/list/", "/admin/", "/admin/fa_organisation/new/",
              "/admin/fa_dict_item/", "/admin/fa_title/"],
}
ENGLISH = re.compile(r"(?<![A-Za-z])[A-Z][a-z]{2,}|__None")


@pytest.mark.parametrize("username", PAGES)
def test_role_pages_are_chinese(live_server, page, username):
    sign_in(page, live_server, username)
    shot(page, f"work-area-{username}")
    for path in PAGES[username]:
        page.goto(live_server + path)
        text = page.inner_text("body")
        assert not ENGLISH.findall(text), (path, ENGLISH.findall(text))
