"""The reviewer's list on few statements (#13): the count and the unit filter
through the fuzzy search — and the scope rules unchanged."""
import re
from datetime import datetime

import pytest
from sqlalchemy import select

from app.platform.extensions import db
from app.review.lists import page_query
from models import Account, Organisation
from tests.conftest import csrf_token, generic_plan, login, logout, page_text
from tests.declaring import unit_id
from tests.insight.world import place



def test_unit_filter_is_the_fuzzy_search_not_a_list_of_every_unit(app, client, submitted):
    with app.app_context():
        for i in range(40):
            db.session.add(Organisation(name=f"天津测试单位{i:02d}有限公司", kind="unit"))
        db.session.commit()
        baili = unit_id(app)
    login(client, "zcb")
    page = client.get("/review/?tab=all").get_data(as_text=True)
    assert "天津测试单位" not in page                        # no <option> per unit
    assert 'class="unit-picker unit-filter"' in page
    assert f"declaration-{submitted}" in page
    chosen = client.get(f"/review/?tab=all&unit={baili}").get_data(as_text=True)
    assert 'value="天津百利机械装备集团有限公司"' in chosen and f"declaration-{submitted}" in chosen
    with app.app_context():
        other = db.session.scalar(select(Organisation.id).where(Organisation.name == "天津测试单位01有限公司"))
    assert f"declaration-{submitted}" not in client.get(f"/review/?tab=all&unit={other}").get_data(as_text=True)
    assert client.get("/review/?tab=all&unit=" + "9" * 20).status_code == 400     # a huge number: 400 (#10 item 8)


def test_counts_follow_the_scope(app, client, submitted):
    login(client, "baili_hr")
    text = page_text(client.get("/review/"))
    assert "待处理（1）" in text and "共 1 条" in text
    assert "共 1 条" in page_text(client.get("/review/?tab=waiting&series=05"))
    logout(client)
    login(client, "gxj_zc")                                     # not passed to the department yet
    text = page_text(client.get("/review/?tab=all"))
    assert "待处理（0）" in text and "共 0 条" in text
    logout(client)
    login(client, "zcb")
    assert "待处理（0）" in page_text(client.get("/review/?tab=all"))



#: declarations placed at 百利 for the count test: (status, series); "elsewhere" is another unit's
PLACED = [("unit_review", "05"), ("unit_review", "05"), ("unit_review", "05"), ("unit_review", "11"),
          ("unit_review", "11"), ("dept_review", "05"), ("dept_review", "11"), ("approved", "11"),
          ("returned", "05"), ("elsewhere", "05")]


@pytest.mark.parametrize("query, search", [
    ("tab=waiting", ""), ("tab=waiting&series=05", ""), ("tab=all", ""), ("tab=all&series=11", ""),
    ("tab=handled", ""), ("tab=handled&status=dept_review", ""), ("tab=all", "申报人90000"),
    ("tab=waiting&series=11", "申报人9000"),
])
def test_both_counts_match_the_rows_in_every_tab_filter_and_search(app, client, query, search):
    """共 N 条 and 待处理（N） come from one statement (#13): each must still
    be what the list and the 待处理 tab hold, whatever the tab, filter or search."""
    with app.app_context():
        elsewhere = db.session.scalar(select(Organisation.name).where(
            Organisation.kind == "unit", Organisation.name != "天津百利机械装备集团有限公司").limit(1))
        for n, (status, series) in enumerate(PLACED, start=90000):
            kwargs = {"unit": elsewhere, "department": None} if status == "elsewhere" else {}
            place(n, "unit_review" if status == "elsewhere" else status, datetime(2026, 11, 2), series=series,
                  **kwargs)
    mine = [(f"申报人{n}", status, series) for n, (status, series) in enumerate(PLACED, start=90000)
            if status != "elsewhere"]
    args = dict(part.split("=") for part in query.split("&"))
    found = [m for m in mine if search in m[0]]
    listed = {"waiting": [m for m in found if m[1] == "unit_review"], "all": found,
              "handled": [m for m in found if m[1] != "unit_review"]}[args["tab"]]
    listed = [m for m in listed if m[1] == args.get("status", m[1]) and m[2] == args.get("series", m[2])]
    login(client, "baili_hr")
    if search:
        token = csrf_token(client, "/review/")
        client.post("/review/search", data={"csrf_token": token, "q": search})
    page = page_text(client.get(f"/review/?{query}"))
    assert f"共 {len(listed)} 条" in page
    # the 待处理 tab's own count: the whole queue, whatever this tab's filter or search
    assert f"待处理（{len([m for m in mine if m[1] == 'unit_review'])}）" in page
    assert page.count('<tr id="declaration-') == len(listed)



@pytest.mark.parametrize("username, tab, indexes", [
    ("baili_hr", "waiting", {"unit_queue", "unit_order"}), ("baili_hr", "all", {"unit_order"}),
    ("gxj_zc", "waiting", {"department_queue", "department_order"}), ("gxj_zc", "all", {"department_order"}),
    ("gc_pwh", "waiting", {"committee_waiting"}), ("gc_pwh", "all", {"committee_order"}),
    ("zcb", "waiting", {"office_waiting"}), ("zcb", "all", {"submitted_order"}),
])
def test_each_list_page_is_read_in_order_from_an_index(app, username, tab, indexes):
    """A page of any reviewer's list, newest first, comes from an index in that
    order (no sort of the whole queue: #13), also as a prepared statement
    planned once for any parameters (psycopg prepares a statement after five
    runs). PostgreSQL only."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("partial indexes and EXPLAIN on PostgreSQL")
        user = db.session.scalar(select(Account).where(Account.username == username))
        f = {"tab": tab, "status": "", "series": "", "level": "", "year": "", "unit": "", "sort": "submitted",
             "desc": True}
        plan = generic_plan(page_query(user, f, "", page=2))
    used = set(re.findall(r"Index Scan Backward using ix_declaration_(\w+) on declaration", plan))
    full_sort = re.search(r"(^|->  )Sort ", plan, re.MULTILINE)   # an incremental sort of ties is fine
    assert used & indexes and not full_sort, plan
