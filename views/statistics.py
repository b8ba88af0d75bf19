"""统计分析 (M5): tables and their charts for the declarations within the
person's scope, with the review lists' filters; every table exports to Excel."""
from __future__ import annotations

import io

from flask import abort, g, request, send_file
from flask_appbuilder import BaseView, expose, has_access
from sqlalchemy import select
from markupsafe import Markup

from app.declaration.data import lookups
from app.insight.statistics import FILTER_KEYS, TABLE_KEYS, cached_statistics
from app.platform.extensions import db
from app.review.workflow import STATUS_LABELS
from models import Declaration, Organisation, clock
from models.identity import normalise_text
from permissions.scopes import is_reviewer, visible_declarations
from reports.charts import chart_svg
from reports.workbooks import write_rows

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _filters() -> dict:
    return {key: normalise_text(request.args.get(key))[:20] for key in FILTER_KEYS}


def _tables(f):
    names = lookups()
    series = {code: name for code, name, _ in names.series}
    levels = dict(names.levels)
    return cached_statistics(g.user, f, series, levels)


class StatisticsView(BaseView):
    route_base = "/statistics"
    default_view = "index"
    method_permission_name = {"index": "statistics", "export": "statistics"}

    @expose("/")
    @has_access
    def index(self):
        _staff_only()
        f = _filters()
        tables, computed_at = _tables(f)
        # chart_svg escapes every label and title (reports/charts.py)
        charts = {t.key: Markup(chart_svg(t.chart, [r[t.label_col] for r in t.rows],  # nosec B704
                                          [_number(r[t.value_col]) for r in t.rows], t.title)) for t in tables}
        units = db.session.execute(select(Organisation.id, Organisation.name).where(
            Organisation.id.in_(select(Declaration.unit_id).where(visible_declarations(g.user))))
            .order_by(Organisation.name)).all()
        years = [y for (y,) in db.session.execute(select(Declaration.year).where(visible_declarations(g.user))
                                                  .distinct().order_by(Declaration.year.desc()))]
        return self.render_template("insight/statistics.html", tables=tables, charts=charts, f=f, units=units,
                                    years=years, labels=STATUS_LABELS, lookups=lookups(),
                                    computed_at=computed_at)

    @expose("/export/<key>.xlsx")
    @has_access
    def export(self, key):
        _staff_only()
        if key not in TABLE_KEYS:
            abort(404)
        table = next(t for t in _tables(_filters())[0] if t.key == key)
        data = write_rows([table.headers, *table.rows], table.key)
        return send_file(io.BytesIO(data), as_attachment=True, mimetype=XLSX,
                         download_name=f"统计_{table.title}_{clock.now():%Y%m%d%H%M}.xlsx")


def _number(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _staff_only():
    if not is_reviewer(g.user):
        abort(403)
