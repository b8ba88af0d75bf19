"""统计分析: the figures, the scope rule, filters, Excel export, charts."""
import io
from datetime import timedelta

from openpyxl import load_workbook

from app.insight.statistics import statistics, waiting_times, conditions
from app.platform.extensions import db
from models import Account, clock
from tests.conftest import login, logout, page_text
from tests.insight.world import place

NOW = clock.now().replace(microsecond=0)


def world():
    # engineering at 百利 (under 工信局), one health declaration at 第一中心医院
    place(1, "approved", NOW - timedelta(days=3), path=[("unit_review", NOW - timedelta(days=20)),
                                                           ("dept_review", NOW - timedelta(days=18))])
    place(2, "rejected", NOW - timedelta(days=2), path=[("unit_review", NOW - timedelta(days=10))])
    place(3, "unit_review", NOW - timedelta(days=4))
    place(4, "dept_review", NOW - timedelta(days=1), path=[("unit_review", NOW - timedelta(days=5))], level="11")
    place(5, "approved", NOW - timedelta(days=400), year=NOW.year - 1)
    place(6, "unit_review", NOW - timedelta(days=1), series="04", unit="天津市第一中心医院",
          department="天津市卫生健康委员会", committee="天津市卫生技术高级评委会")


def by_key(tables):
    return {t.key: t for t in tables}


def user(name):
    return db.session.query(Account).filter_by(username=name).one()


def test_counts_pass_rates_and_year_on_year(ctx):
    world()
    t = by_key(statistics(user("zcb"), {}, {"05": "工程技术", "04": "卫生技术"}, {"12": "副高级", "11": "正高级"}))
    assert dict(map(tuple, t["status"].rows)) == {"已通过": 2, "待单位审核": 2, "评审未通过": 1, "待主管部门审核": 1}
    assert dict(map(tuple, t["series"].rows)) == {"工程技术": 5, "卫生技术": 1}
    assert dict(map(tuple, t["unit"].rows)) == {"天津百利机械装备集团有限公司": 5, "天津市第一中心医院": 1}
    # 工程技术: 5 declared, 3 decided, 2 passed
    assert t["pass_series"].rows[1] == ["工程技术", 5, 3, 2, "66.7%"]
    assert t["year"].rows == [[f"{NOW.year - 1}年度", 1, 1, "—"], [f"{NOW.year}年度", 5, 1, "+400.0%"]]
    assert sum(n for _, n in t["per_day"].rows) == 6


def test_median_and_slowest_wait_per_step_and_organisation(ctx):
    world()
    rows, _ = waiting_times(conditions(user("zcb"), {}))
    unit = {r[1]: r for r in rows if r[0] == "待单位审核"}
    # 百利: waits of 2 (20→18 days ago), 8 (10→2), 4 (still waiting) and 4 (5→1) days: median 4, longest 8
    assert unit["天津百利机械装备集团有限公司"][2:] == [4, 4.0, 8.0]
    assert unit["天津市第一中心医院"][2:] == [1, 1.0, 1.0]


def test_each_role_counts_only_its_scope(ctx):
    world()
    t = by_key(statistics(user("baili_hr"), {}, {}, {}))
    assert sum(n for _, n in t["status"].rows) == 5          # not the hospital's
    t = by_key(statistics(user("ws_pwh"), {}, {}, {}))
    assert sum(n for _, n in t["status"].rows) == 0          # the health one has not reached the committee
    t = by_key(statistics(user("gxj_zc"), {}, {}, {}))
    assert sum(n for _, n in t["status"].rows) == 4          # reached the department: 1, 2 (not), 4, 5


def test_page_filters_by_series_and_exports_each_table(app, client):
    with app.app_context():
        world()
    login(client, "zcb")
    html = page_text(client.get("/statistics/?series=04"))
    assert "<svg" in html and "按专业技术系列" in html and "卫生技术" in html
    response = client.get("/statistics/export/series.xlsx?series=04")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert [[c.value for c in r] for r in sheet.iter_rows()] == [["系列", "申报数"], ["卫生技术人员", 1]]
    assert client.get("/statistics/export/nothing.xlsx").status_code == 404


def test_applicants_and_strangers_do_not_see_statistics(client):
    login(client, "120101199003070013")
    assert client.get("/statistics/").status_code in (302, 403)
    assert client.get("/statistics/export/status.xlsx").status_code in (302, 403)
    logout(client)
    assert client.get("/statistics/").status_code in (302, 401)


def test_bad_filters_are_ignored_not_errors(client):
    login(client, "zcb")
    assert client.get("/statistics/?year=abc&unit=x&status=<script>&series=%27").status_code == 200


def test_figures_are_kept_per_person_and_filter_for_a_minute(app, ctx):
    from app.insight.statistics import cached_statistics

    place(1, "unit_review", NOW)
    office, unit = user("zcb"), user("baili_hr")
    first, at = cached_statistics(office, {}, {}, {})
    place(2, "unit_review", NOW)
    again, at_again = cached_statistics(office, {}, {}, {})
    assert (again[0].rows, at_again) == (first[0].rows, at)              # the same figures, from the store
    assert cached_statistics(office, {"series": "05"}, {}, {})[0][0].rows == [["待单位审核", 2]]
    assert sum(n for _, n in cached_statistics(unit, {}, {}, {})[0][0].rows) == 2   # computed for this person
    app.config["STATISTICS_CACHE_SECONDS"] = 0
    try:
        assert sum(n for _, n in cached_statistics(office, {}, {}, {})[0][0].rows) == 2
    finally:
        app.config["STATISTICS_CACHE_SECONDS"] = 60


def test_count_charts_have_whole_ticks_and_zero_rows_are_drawn():
    import re

    from reports.charts import chart_svg
    ticks = lambda svg: re.findall(r'text-anchor="end" fill="#666">([^<]+)<', svg)   # noqa: E731
    for top in (1, 2, 3, 7, 13, 150):
        svg = chart_svg("bar", ["甲", "乙"], [top, 0], "申报数")
        assert all(t.isdigit() for t in ticks(svg)), (top, ticks(svg))
        assert int(ticks(svg)[-1]) >= top
    assert ticks(chart_svg("line", ["1日", "2日"], [2, 1]))[:3] == ["0", "1", "2"]
    rates = ticks(chart_svg("bar", ["甲"], [0.5]))          # not counts: even steps
    assert rates[-1] == "0.5"
    for kind in ("bar", "pie", "line"):                     # rows of 0 beside a filled table: drawn, labelled
        svg = chart_svg(kind, ["工程技术人员", "卫生技术人员"], [0, 0], "通过数")
        assert "暂无数据" not in svg and "工程技术人员" in svg, kind
    assert "暂无数据" in chart_svg("bar", [], [], "通过数")    # only an empty table has no chart
