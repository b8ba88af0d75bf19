"""安全审计 → 审计日志: the 审计管理员 (and only that role, 三员分立) reads the
audit trail with filters and exports it. Nothing here changes a row."""
from __future__ import annotations

import io

from flask import g, request, send_file
from flask_appbuilder import BaseView, expose, has_access
from sqlalchemy import func, select

from app.platform.audit import AUDIT_FILTERS, record, search_events
from app.platform.extensions import db
from reports.workbooks import write_rows
from models import clock

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER = ["时间", "账号", "角色", "机构", "操作", "对象", "变更前", "变更后", "IP", "请求编号"]


def _filters() -> dict:
    return {name: (request.args.get(name) or "")[:50] for name in AUDIT_FILTERS}


def _when(value) -> str:
    # Always with its UTC offset (SQLite hands back local time without one).
    return clock.local(value).isoformat(timespec="seconds") if value else ""


def _row(e) -> list:
    return [_when(e.created_at), e.actor, e.role, e.org, e.action,
            e.target, e.before or "", e.after or "", e.ip, e.request_id]


class AuditView(BaseView):
    route_base = "/audit"
    default_view = "list"

    @expose("/")
    @has_access
    def list(self):
        f = _filters()
        stmt = search_events(f)
        total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
        page = request.args.get("page", "1")
        page = max(1, int(page)) if page.isdigit() and len(page) < 7 else 1
        rows = db.session.scalars(stmt.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
        return self.render_template("audit/list.html", rows=rows, f=f, total=total, page=page,
                                    pages=max(1, -(-total // PAGE_SIZE)), header=HEADER, row=_row)

    @expose("/export")
    @has_access
    def export(self):
        f = _filters()
        events = db.session.scalars(search_events(f)).yield_per(1000)
        content = write_rows(([HEADER] + [_row(e) for e in events]), sheet_title="审计日志")
        # Exporting the trail is itself an audited event.
        record("audit.export", "audit_event", after={k: v for k, v in f.items() if v}, actor=g.user)
        db.session.commit()
        return send_file(io.BytesIO(content), as_attachment=True, mimetype=XLSX,
                         download_name=f"审计日志_{clock.now():%Y%m%d%H%M}.xlsx")
