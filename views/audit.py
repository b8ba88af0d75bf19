"""安全审计 → 审计日志: the 审计管理员 (and only that role, 三员分立) reads the
audit trail with filters and exports it. Nothing here changes a row."""
from __future__ import annotations

import io
import json
from datetime import datetime

from flask import g, request, send_file
from flask_appbuilder import BaseView, expose, has_access
from sqlalchemy import func, select

from app.platform.audit import AUDIT_FILTERS, record, search_events
from app.platform.extensions import db
from app.review.workflow import action_label
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


#: what each recorded action means, in the words of the pages (the code stays beside it: the filter takes it)
ACTIONS = {
    "login.ok": "登录成功", "login.failed": "登录失败", "login.locked": "账号锁定", "login.blocked": "登录被拒绝",
    "mfa.ok": "二次验证通过", "mfa.failed": "二次验证失败", "mfa.sms_sent": "发送二次验证短信",
    "mfa.sms_refused": "二次验证短信未发送", "mfa.enroll": "绑定身份验证器", "mfa.enroll_failed": "绑定身份验证器失败",
    "mfa.enroll_refused": "绑定身份验证器被拒绝", "mfa.reset": "重置二次验证", "mfa.recovery_code_used": "使用恢复码",
    "password.change": "修改密码", "password.admin_reset": "管理员重置密码", "password.temporary_sent": "发送临时密码",
    "user.create": "新增用户", "user.update": "修改用户", "user.delete": "删除用户", "user.roles_refused": "修改角色被拒绝",
    "pii.view": "查看身份证号和手机号", "pii.api": "接口读取身份证号和手机号",
    "export.list": "导出申报列表", "export.print": "打印", "export.print_batch": "批量打印评审表",
    "export.again": "重新导出", "audit.export": "导出审计日志", "organisation.merge": "合并机构",
    "defence.import": "导入答辩安排", "certificate.revoke": "撤销证书", "holiday.add": "新增节假日",
    "holiday.remove": "删除节假日", "publicity.publish": "发布公示", "publicity.objection": "处理公示异议",
    "expert.add": "新增专家", "expert.available": "设置专家可用", "expert.conflict": "专家申请回避",
    "meeting.create": "新建评审会议", "meeting.add_group": "新建评审组", "meeting.assign": "分配申报",
    "meeting.draw": "抽取专家", "meeting.presence": "登记专家到会", "meeting.open": "开始表决",
    "meeting.close_vote": "结束表决", "meeting.tally_mismatch": "计票核对不一致",
}
_VERBS = {"create": "新增", "update": "修改", "delete": "删除"}
_TARGETS = {"ab_user": "账号", "declaration": "申报", "meeting": "评审会议", "group": "评审组", "expert": "专家",
            "organisation": "机构", "fa_organisation": "机构", "certificate": "证书", "objection": "异议"}


def action_text(action: str) -> str:
    """登录成功（login.ok）: the meaning first, the code for the filter after it."""
    prefix, _, verb = (action or "").partition(".")
    if action in ACTIONS:
        meaning = ACTIONS[action]
    elif prefix == "workflow":
        meaning = f"审批：{action_label(verb)}"
    elif verb in _VERBS:
        meaning = f"{_VERBS[verb]}（{prefix}）"
    else:
        return action or ""
    return f"{meaning}（{action}）"


def target_text(target: str) -> str:
    kind, _, key = (target or "").partition(":")
    return f"{_TARGETS[kind]} {key}" if kind in _TARGETS and key else target or ""


def values_text(raw: str | None) -> str:
    """Recorded values as people read them: 键：值, 是/否, 空 — not JSON with true/null."""
    if not raw:
        return ""
    try:
        data = json.loads(raw)
    except ValueError:
        return raw
    if not isinstance(data, dict):
        return raw

    def plain(v):
        return "是" if v is True else "否" if v is False else "空" if v is None else \
            "、".join(map(plain, v)) if isinstance(v, list) else str(v)
    return "；".join(f"{k}：{plain(v)}" for k, v in data.items())


def _row(e) -> list:
    return [_when(e.created_at), e.actor, e.role, e.org, action_text(e.action),
            target_text(e.target), values_text(e.before), values_text(e.after), e.ip, e.request_id]


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
