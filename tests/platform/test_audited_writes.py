"""Every administrative write leaves an audit row (等保 level 3). The walk
takes every route of the application that accepts a write method (POST, PUT,
PATCH, DELETE) — FAB's action routes once per action they offer — and each
one must be either

- exercised here (CASES), leaving the named audit row in the same request;
- a back-office (Flask-Admin) route, exercised for every model there by
  `test_back_office_writes_leave_audit_rows`;
- listed in NOT_ADMINISTRATIVE with the reason it needs no row; or
- refused to every role by its view's own permissions (computed).

A new write route that is none of these fails `test_every_write_route_is_walked`."""
from __future__ import annotations

import html
import itertools
import re
from datetime import date, timedelta
from html.parser import HTMLParser

import pytest
from flask import request, request_started
from sqlalchemy import delete, func, select

from app.platform.extensions import db
from app.review import meetings, publicity
from models import Announcement, DeclarationYear, ExportJob, Holiday, Organisation, ReviewGroup, clock
from models.audit import AuditEvent
from tests.committee import account, close, demo_group, evaluate, prepare, present_experts, vote
from tests.conftest import APPLICANT_ID, csrf_token, login, logout
from tests.declaring import act, declaration_id, fill, status_of, submit
from tests.workbooks import DEFENCE_HEADER, workbook

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

_OWN_ACCOUNT = "signing in or out, registering, one's own password or second factor: app/accounts audits these itself"
_WORKFLOW = ("a workflow step through the API: perform() writes the step's audit row (workflow.<action>), as the "
             "pages' steps walked here show; tests/review/test_workflow_audit.py checks the row itself")
NOT_ADMINISTRATIVE = {
    "AuthView.login": _OWN_ACCOUNT, "AuthView.logout": _OWN_ACCOUNT, "AuthView.forgot": _OWN_ACCOUNT,
    "MfaView.verify": _OWN_ACCOUNT, "MfaView.sms": _OWN_ACCOUNT, "MfaView.enroll": _OWN_ACCOUNT,
    "RegisterView.agreement": _OWN_ACCOUNT, "RegisterView.form": _OWN_ACCOUNT, "RegisterView.sms": _OWN_ACCOUNT,
    "AccountView.password": _OWN_ACCOUNT, "SecurityApi.login": _OWN_ACCOUNT, "SecurityApi.refresh": _OWN_ACCOUNT,
    "SecurityApi.logout": _OWN_ACCOUNT,
    "ResetMyPasswordView.this_form_get": "redirects to 修改密码; changes nothing",
    "ResetMyPasswordView.this_form_post": "redirects to 修改密码; changes nothing",
    "UserInfoEditView.this_form_get": "redirects to 修改密码; changes nothing",
    "UserInfoEditView.this_form_post": "redirects to 修改密码; changes nothing",
    "UserView.action:resetpasswords": "opens the 重置密码 form (ResetPasswordView, audited); changes nothing",
    "UserView.action_post:resetpasswords": "opens the 重置密码 form (ResetPasswordView, audited); changes nothing",
    "UserView.action:resetmypassword": "redirects to 修改密码; changes nothing",
    "UserView.action_post:resetmypassword": "redirects to 修改密码; changes nothing",
    "UserView.action:userinfoedit": "redirects to 修改密码; changes nothing",
    "UserView.action_post:userinfoedit": "redirects to 修改密码; changes nothing",
    **{f"DeclarationView.{name}": "the applicant's own declaration, not an administrative write"
       for name in ("page", "new_row", "edit_row", "remove_row", "clear", "copy_previous", "upload",
                    "remove_file", "submit")},
    "PublicityView.index": "anyone's objection to a 公示 (public, behind the captcha), stored with its address",
    "VerifyView.index": "the public certificate check; reads only",
    "ReviewView.search": "keeps the reviewer's search in the session; changes no record",
    "DeclarationApi.post_step": _WORKFLOW,
    # The ballot is anonymous (W12): an audit row would link the expert to the
    # time of their ballot, and casting order is what links ballots to experts.
    "ExpertView.vote": "anonymity of the ballot forbids any row naming the expert at the time of a ballot",
    # The same holds for what an expert does on the ballot's page: rows of each
    # save of an opinion, in time order, would sit beside the ballots' order.
    "ExpertView.opinion": "the expert's own opinion, kept (with its last change) in review_opinion; "
                          "a row per save would time the experts' work beside the ballots",
}

CASES = {}


def case(*endpoints):
    """Register a write: the function prepares, then returns (the audit action
    expected, a callable making the one request)."""
    def register(fn):
        for endpoint in endpoints:
            CASES[endpoint] = fn
        return fn
    return register


# --- the walk ------------------------------------------------------------------------

def admin_views(app) -> dict:
    return {view.endpoint: view for view in app.extensions["admin"][0]._views if hasattr(view, "model")}


def refused_to_everyone(view, method: str) -> bool:
    """FAB grants a method only when its permission is among the view's base permissions."""
    permission = getattr(getattr(view, method, None), "_permission_name", None)
    if permission is None:
        return False   # not guarded by a permission: its own checks decide, so it is walked
    return f"can_{view.method_permission_name.get(method, permission)}" not in view.base_permissions


def back_office_writes(view) -> dict[str, str]:
    """The write routes Flask-Admin offers for a model, with the audit action each must leave."""
    out = {}
    if view.can_create:
        out["create_view"] = "create"
    if view.can_edit:
        out["edit_view"] = "update"
    if view.can_delete:
        out["delete_view"] = "delete"
    if any(view.is_action_allowed(name) for name, _ in view._actions):
        out["action_view"] = "delete"
    if view.column_editable_list:
        out["ajax_update"] = "update"
    return out


def write_routes(app) -> tuple[set[str], set[str]]:
    """(routes to account for, back-office routes of the generic walk)."""
    fab = {view.endpoint: view for view in app.appbuilder.baseviews}
    back = admin_views(app)
    walked, generic = set(), set()
    for rule in app.url_map.iter_rules():
        if not rule.methods & WRITE_METHODS:
            continue
        view_name, _, method = rule.endpoint.partition(".")
        if view_name in fab:
            view = fab[view_name]
            if method in ("action", "action_post"):
                walked |= {f"{rule.endpoint}:{name}" for name in view.actions}
            elif not refused_to_everyone(view, method):
                walked.add(rule.endpoint)
        elif view_name in back and method in ("create_view", "edit_view", "delete_view", "action_view",
                                              "ajax_update"):
            if method in back_office_writes(back[view_name]):
                generic.add(rule.endpoint)
        else:
            walked.add(rule.endpoint)
    return walked, generic


def test_every_write_route_is_walked(app):
    walked, generic = write_routes(app)
    assert walked - set(CASES) - set(NOT_ADMINISTRATIVE) == set(), "write routes without an audit case"
    assert set(CASES) & set(NOT_ADMINISTRATIVE) == set()
    assert (set(CASES) | set(NOT_ADMINISTRATIVE)) - walked == set(), "cases of routes that are gone"
    from views.admin import SecuredModelView
    assert generic and all(isinstance(admin_views(app)[e.partition(".")[0]], SecuredModelView) for e in generic)


def last_audit_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.max(AuditEvent.id))) or 0


def audit_since(app, since: int) -> list[AuditEvent]:
    with app.app_context():
        rows = db.session.scalars(select(AuditEvent).where(AuditEvent.id > since).order_by(AuditEvent.id)).all()
        db.session.expunge_all()
        return rows


def performed(app, go):
    """Make the request; return (response, endpoints reached, audit rows added)."""
    reached = []

    def note(sender, **extra):
        reached.append(request.endpoint)

    since = last_audit_id(app)
    request_started.connect(note, app)
    try:
        response = go()
    finally:
        request_started.disconnect(note, app)
    return response, reached, audit_since(app, since)


def test_refused_writes_stay_refused(app, client):
    """Routes the walk skips as refused to every role really are (the administrator holds every permission)."""
    login(client, "admin")
    token = csrf_token(client, "/users/list/")
    with app.app_context():
        roles = db.session.scalar(select(func.count()).select_from(app.appbuilder.sm.role_model))
        year = db.session.scalar(select(DeclarationYear.id))
    for url, data in (("/roles/add", {"name": "复制"}), (f"/years/delete/{year}", {}),
                      ("/permissions/add", {"name": "can_x"})):
        response = client.post(url, data={"csrf_token": token, **data})
        assert response.status_code in (302, 403, 404), url
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(app.appbuilder.sm.role_model)) == roles
        assert db.session.get(DeclarationYear, year) is not None
    # FAB's 复制角色 (a new role, outside the audit trail) is not offered at all
    assert "copyrole" not in next(v for v in app.appbuilder.baseviews if v.endpoint == "RoleView").actions


# --- the back office, every model -----------------------------------------------------

class _Form(HTMLParser):
    """The fields of the page's form that posts to itself, as the browser would send them."""

    def __init__(self):
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self.select: str | None = None
        self.textarea: str | None = None
        self.text = ""
        self.in_form = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post" and "admin-form" in (a.get("class") or ""):
            self.in_form = True
        if not self.in_form or not a.get("name") and tag != "option":
            return
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind == "checkbox":
                if "checked" in a:
                    self.fields.append((a["name"], a.get("value") or "y"))
            elif kind not in ("submit", "button", "file"):
                self.fields.append((a["name"], a.get("value") or ""))
        elif tag == "select":
            self.select = a["name"]
        elif tag == "option" and self.select and "selected" in a:
            self.fields.append((self.select, a.get("value") or ""))
        elif tag == "textarea":
            self.textarea, self.text = a["name"], ""

    def handle_data(self, data):
        if self.textarea:
            self.text += data

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None
        elif tag == "textarea" and self.textarea:
            self.fields.append((self.textarea, html.unescape(self.text).lstrip("\n")))
            self.textarea = None
        elif tag == "form":
            self.in_form = False


def form_fields(client, url) -> list[tuple[str, str]]:
    page = client.get(url)
    assert page.status_code == 200, url
    parser = _Form()
    parser.feed(page.get_data(as_text=True))
    assert parser.fields, url
    return parser.fields


#: a copy saved as a new row must differ where the table wants unique values (n: the copy's number)
_UNIQUE = {"code": lambda v, n: (v or "")[:5] + f"9{n}", "name": lambda v, n: f"{v}（副本{n}）",
           "title": lambda v, n: f"{v}（副本{n}）", "credit_code": lambda v, n: "", "key": lambda v, n: f"{v}_{n}"}
_COPIES = itertools.count(1)


def _alerts(response) -> str:
    return " ".join(re.findall(r'class="[^"]*(?:alert|invalid-feedback|help-block)[^"]*"[^>]*>([^<]*)<',
                               response.get_data(as_text=True)))


def _copy_fields(app, client, view) -> list[tuple[str, str]]:
    """The create form filled with the first row's values, made unique where the table asks."""
    with app.app_context():
        first_id = view.get_pk_value(view.get_query().order_by(view.model.id).first())
    copy = next(_COPIES)
    return [(n, _UNIQUE[n](v, copy) if n in _UNIQUE else v)
            for n, v in form_fields(client, f"/admin/{view.endpoint}/edit/?id={first_id}")]


def _copy_of_first(app, client, view) -> int:
    """A new row made through the back office's create form; returns its id."""
    with app.app_context():
        top = db.session.scalar(select(func.max(view.model.id)))
    response = client.post(f"/admin/{view.endpoint}/new/", data=_multi(_copy_fields(app, client, view)))
    assert response.status_code == 302, (view.endpoint, _alerts(response))
    with app.app_context():
        new_id = db.session.scalar(select(func.max(view.model.id)))
    assert new_id > top, f"{view.endpoint}: no row created"
    return new_id


def _multi(fields):
    from werkzeug.datastructures import MultiDict
    return MultiDict(fields)


def test_back_office_writes_leave_audit_rows(app, client):
    """Create, change and delete a row of every model in 后台管理 (Flask-Admin)."""
    from models import StepTimeLimit

    with app.app_context():   # the demo world leaves the time limits at their defaults (no rows)
        db.session.add(StepTimeLimit(status="unit_review", working_days=5))
        db.session.commit()
    login(client, "admin")
    _walked, generic = write_routes(app)
    views = admin_views(app)
    with app.app_context():   # the copies made below go again: dictionaries are not re-seeded between tests
        before = {name: db.session.scalar(select(func.max(_pk(view)))) or 0 for name, view in views.items()
                  if _pk(view).type.python_type is int}
    try:
        _walk_back_office(app, client, views, generic)
    finally:
        with app.app_context():
            for name, last in before.items():
                db.session.execute(delete(views[name].model).where(_pk(views[name]) > last))
            db.session.commit()


def _pk(view):
    return getattr(view.model, view.model.__mapper__.primary_key[0].key)


def _walk_back_office(app, client, views, generic):
    done = set()
    token = csrf_token(client, "/account/password")   # one per session
    for name, view in sorted(views.items()):
        writes = back_office_writes(view)
        for method, verb in writes.items():
            if method == "create_view":
                fields = _copy_fields(app, client, view)
                go = lambda fields=fields: client.post(f"/admin/{name}/new/", data=_multi(fields))   # noqa: E731
            elif method == "edit_view":
                with app.app_context():
                    first = view.get_query().first()
                    pk = view.get_pk_value(first)
                url = f"/admin/{name}/edit/?id={pk}"
                fields = form_fields(client, url)
                go = lambda url=url, fields=fields: client.post(url, data=_multi(fields))   # noqa: E731
            elif method == "delete_view":
                new_id = _copy_of_first(app, client, view)
                go = lambda new_id=new_id: client.post(f"/admin/{name}/delete/",   # noqa: E731
                                                       data={"id": new_id, "csrf_token": token})
            elif method == "action_view":
                new_id = _copy_of_first(app, client, view)
                go = lambda new_id=new_id: client.post(f"/admin/{name}/action/",   # noqa: E731
                                                       data={"action": "delete", "rowid": new_id,
                                                             "csrf_token": token})
            else:
                pytest.fail(f"{name}.{method}: add a case (list editing is not used yet)")
            response, reached, rows = performed(app, go)
            assert response.status_code == 302, (name, method, _alerts(response))
            assert f"{name}.{method}" in reached
            assert f"{name}.{verb}" in [row.action for row in rows], (name, method, [r.action for r in rows])
            done.add(f"{name}.{method}")
    assert done == generic


# --- setting the scene -------------------------------------------------------------------

def received(app, client) -> int:
    """张明's declaration, received by the engineering committee."""
    login(client, APPLICANT_ID)
    fill(client, app)
    assert submit(client).status_code == 302
    decl = declaration_id(app)
    for reviewer, action in (("baili_hr", "approve"), ("gxj_zc", "approve"), ("gc_pwh", "receive")):
        login(client, reviewer)
        assert act(client, decl, action).status_code == 302
    assert status_of(app, decl) == "committee_review"
    return decl


def post(client, url, data, token_page=None, **kwargs):
    data = {"csrf_token": csrf_token(client, token_page or "/"), **data}
    return lambda: client.post(url, data=data, **kwargs)


def org_id(app, name) -> int:
    with app.app_context():
        return db.session.scalar(select(Organisation.id).where(Organisation.name == name))


def user_id(app, username) -> int:
    with app.app_context():
        return account(username).id


# --- 通知公告, 申报年度, units ----------------------------------------------------------------

def _announcement(app) -> int:
    with app.app_context():
        item = Announcement(title="关于申报的通知", body="正文", publish_on=clock.today() - timedelta(days=10),
                            author_id=account("zcb").id)
        db.session.add(item)
        db.session.commit()
        return item.id


@case("AnnouncementView.add")
def _publish_notice(app, client):
    login(client, "zcb")
    return "announcement.create", post(client, "/notices/manage/add", {
        "title": "2026年度职称申报通知", "body": "请按时申报", "series": "", "publish_on": clock.today().isoformat(),
        "unpublish_on": ""}, "/notices/manage/add")


@case("AnnouncementView.edit")
def _withdraw_notice(app, client):
    notice = _announcement(app)
    login(client, "zcb")
    return "announcement.update", post(client, f"/notices/manage/edit/{notice}", {
        "title": "关于申报的通知", "body": "正文", "series": "",
        "publish_on": (clock.today() - timedelta(days=10)).isoformat(),
        "unpublish_on": (clock.today() - timedelta(days=1)).isoformat()}, "/notices/manage/list/")


@case("AnnouncementView.delete")
def _delete_notice(app, client):
    notice = _announcement(app)
    login(client, "zcb")
    return "announcement.delete", post(client, f"/notices/manage/delete/{notice}", {}, "/notices/manage/list/")


@case("DeclarationYearView.add")
def _add_year(app, client):
    login(client, "zcb")
    return "declaration_year.create", post(client, "/years/add", {
        "year": "2031", "opens_on": "2031-03-01", "closes_on": "2031-05-31", "note": ""}, "/years/add")


@case("DeclarationYearView.edit")
def _edit_year(app, client):
    with app.app_context():
        year = db.session.scalar(select(DeclarationYear).order_by(DeclarationYear.id))
        pk, values = year.id, {"year": str(year.year), "opens_on": year.opens_on.isoformat(),
                               "closes_on": year.closes_on.isoformat(), "note": "延长"}
    login(client, "zcb")
    return "declaration_year.update", post(client, f"/years/edit/{pk}", values, "/years/list/")


@case("UnitView.add")
def _add_unit(app, client):
    login(client, "gxj_zc")
    return "organisation.create", post(client, "/units/add", {
        "name": "天津测试机械有限公司", "parent": org_id(app, "天津市工业和信息化局"), "credit_code": "",
        "contact_person": "", "contact_phone": ""}, "/units/add")


@case("UnitView.edit")
def _edit_unit(app, client):
    login(client, "gxj_zc")
    unit = org_id(app, "天津百利机械装备集团有限公司")
    return "organisation.update", post(client, f"/units/edit/{unit}", {
        "name": "天津百利机械装备集团有限公司", "parent": org_id(app, "天津市工业和信息化局"), "credit_code": "",
        "contact_person": "王经理", "contact_phone": "", "active": "y"}, "/units/list/")


@case("fa_organisation.merge_view")
def _merge_units(app, client):
    with app.app_context():
        source = Organisation(name="天津待合并机械厂", kind="unit", parent_id=org_id(app, "天津市工业和信息化局"))
        db.session.add(source)
        db.session.commit()
        source_id = source.id
    login(client, "admin")
    return "organisation.merge", post(client, f"/admin/fa_organisation/merge/{source_id}", {
        "target": org_id(app, "天津百利机械装备集团有限公司")}, "/admin/fa_organisation/")


# --- accounts, groups -------------------------------------------------------------------

def _user_form(app, **changes):
    with app.app_context():
        role = app.appbuilder.sm.find_role("单位审核").id
    return {"first_name": "周洁", "username": "zhoujie", "email": "zhoujie@example.com", "phone": "", "roles": role,
            "active": "y", "org": org_id(app, "天津百利机械装备集团有限公司"), **changes}


def _new_user(app, client) -> int:
    login(client, "admin")
    response = post(client, "/users/add", _user_form(app, password="Start2026x", conf_password="Start2026x"),
                    "/users/add")()
    assert response.status_code == 302
    return user_id(app, "zhoujie")


@case("UserView.add")
def _add_user(app, client):
    login(client, "admin")
    return "user.create", post(client, "/users/add", _user_form(app, password="Start2026x",
                                                                conf_password="Start2026x"), "/users/add")


@case("UserView.edit")
def _edit_user(app, client):
    pk = _new_user(app, client)
    return "user.update", post(client, f"/users/edit/{pk}", _user_form(app, first_name="周洁洁"), "/users/list/")


@case("UserView.delete")
def _delete_user(app, client):
    pk = _new_user(app, client)
    return "user.delete", post(client, f"/users/delete/{pk}", {}, "/users/list/")


@case("UserView.action:resetmfa")
def _reset_mfa(app, client):
    login(client, "admin")
    return "mfa.reset", post(client, f"/users/action/resetmfa/{user_id(app, 'baili_hr')}", {}, "/users/list/")


@case("UserView.action_post:resetmfa")
def _reset_mfa_from_list(app, client):
    login(client, "admin")
    return "mfa.reset", post(client, "/users/action_post", {"action": "resetmfa",
                                                            "rowid": user_id(app, "baili_hr")}, "/users/list/")


@case("ResetPasswordView.this_form_post")
def _reset_password(app, client):
    login(client, "admin")
    return "password.admin_reset", post(client, f"/resetpassword/form?pk={user_id(app, 'baili_hr')}", {
        "password": "Reset2026x", "conf_password": "Reset2026x"}, "/users/list/")


@case("RegisterUserModelView.delete")
def _delete_registration(app, client):
    with app.app_context():
        model = app.appbuilder.sm.registeruser_model
        item = model(first_name="王", last_name="", username="wang", email="w@example.com", password="x",
                     registration_hash="h" * 20)
        db.session.add(item)
        db.session.commit()
        pk = item.id
    login(client, "admin")
    return "register_user.delete", post(client, f"/registeruser/delete/{pk}", {}, "/registeruser/list/")


# --- the committee ----------------------------------------------------------------------

def _demo_meeting(app) -> tuple[int, int]:
    with app.app_context():
        group = demo_group()
        return group.meeting_id, group.id


@case("MeetingView.create")
def _create_meeting(app, client):
    login(client, "gc_pwh")
    return "meeting.create", post(client, "/meetings/new", {
        "name": "补充评审会议", "year": str(clock.today().year), "held_on": clock.today().isoformat(),
        "place": "301会议室", "threshold": "2/3"}, "/meetings/")


@case("MeetingView.experts")
def _add_expert(app, client):
    login(client, "gc_pwh")
    return "expert.add", post(client, "/meetings/experts", {
        "username": "zj_new", "name": "周新", "unit_id": org_id(app, "天津百利机械装备集团有限公司"), "series": "05",
        "major": "机械工程", "title": "正高级工程师", "phone": ""}, "/meetings/experts")


@case("MeetingView.expert_available")
def _expert_unavailable(app, client):
    with app.app_context():
        from models import Expert
        expert = db.session.scalar(select(Expert.id).order_by(Expert.id))
    login(client, "gc_pwh")
    return "expert.available", post(client, f"/meetings/experts/{expert}/available", {"available": "0"},
                                    "/meetings/experts")


@case("MeetingView.new_group")
def _new_review_group(app, client):
    meeting, _group = _demo_meeting(app)
    login(client, "gc_pwh")
    return "meeting.add_group", post(client, f"/meetings/{meeting}/groups", {
        "name": "电气组", "series": "05", "major": "电气工程", "size": "5"}, f"/meetings/{meeting}")


@case("MeetingView.assign")
def _assign(app, client):
    decl = received(app, client)
    meeting, group = _demo_meeting(app)
    return "meeting.assign", post(client, f"/meetings/{meeting}/assign", {"group": group, "ids": decl},
                                  f"/meetings/{meeting}")


@case("MeetingView.draw_experts")
def _draw(app, client):
    decl = received(app, client)
    meeting, group = _demo_meeting(app)
    with app.test_request_context():
        meetings.put_into_group(demo_group(), [decl])
    return "meeting.draw", post(client, f"/meetings/groups/{group}/draw", {"method": "random"},
                                f"/meetings/{meeting}")


@case("MeetingView.presence")
def _presence(app, client):
    decl = received(app, client)
    meeting, group = _demo_meeting(app)
    with app.test_request_context():
        meetings.put_into_group(demo_group(), [decl])
        meetings.draw(demo_group(), account("gc_pwh"), seed="demo-seed")
        present = [m.expert_id for m in demo_group().members]
    return "meeting.presence", lambda: client.post(f"/meetings/groups/{group}/present", data={
        "present": present, "csrf_token": csrf_token(client, f"/meetings/{meeting}")})


@case("MeetingView.open")
def _open(app, client):
    decl = received(app, client)
    prepare(app, [decl], open_it=False)
    meeting, _group = _demo_meeting(app)
    return "meeting.open", post(client, f"/meetings/{meeting}/open", {}, f"/meetings/{meeting}")


@case("MeetingView.close")
def _close(app, client):
    decl = received(app, client)
    group = prepare(app, [decl])
    vote(app, group, decl, ["yes"] * 6)
    meeting, _group = _demo_meeting(app)
    return "meeting.close_vote", post(client, f"/meetings/groups/{group}/close", {}, f"/meetings/{meeting}")


@case("MeetingView.publish_results")
def _publish_results(app, client):
    decl = received(app, client)
    group = prepare(app, [decl])
    vote(app, group, decl, ["yes"] * 6)
    close(app, group)
    meeting, _group = _demo_meeting(app)
    return "publicity.publish", post(client, f"/meetings/{meeting}/publish", {}, f"/meetings/{meeting}")


@case("ExpertView.conflict")
def _conflict(app, client):
    decl = received(app, client)
    group = prepare(app, [decl])
    login(client, present_experts(app, group)[0])
    return "expert.conflict", post(client, f"/expert/{decl}/conflict", {"reason": "与申报人曾为同事"}, "/expert/")


@case("ReviewView.defence")
def _import_defence(app, client):
    received(app, client)
    data = workbook([DEFENCE_HEADER, [APPLICANT_ID, "2026-12-10 09:00", "301会议室", "第一组", ""]])
    import io
    return "defence.import", lambda: client.post("/review/defence", data={
        "csrf_token": csrf_token(client, "/review/defence"), "sheet": (io.BytesIO(data), "a.xlsx")},
        content_type="multipart/form-data")


# --- the title office -------------------------------------------------------------------

@case("PublicityAdminView.holiday_add")
def _add_holiday(app, client):
    login(client, "zcb")
    return "holiday.add", post(client, "/publicity-admin/holidays", {"day": "2031-01-01", "name": "元旦"},
                               "/publicity-admin/")


@case("PublicityAdminView.holiday_remove")
def _remove_holiday(app, client):
    with app.app_context():
        db.session.add(Holiday(day=date(2031, 1, 1), name="元旦"))
        db.session.commit()
    login(client, "zcb")
    return "holiday.remove", post(client, "/publicity-admin/holidays/2031-01-01/remove", {}, "/publicity-admin/")


@case("PublicityAdminView.objection")
def _handle_objection(app, client):
    decl = received(app, client)
    group = evaluate(app, [decl], ended=False)
    with app.test_request_context():
        meeting = db.session.get(ReviewGroup, group).meeting_id
        objection = publicity.file_objection(meeting, decl, "王女士", "该申报人业绩材料与实际不符，请核查。", "1.2.3.4").id
    login(client, "zcb")
    return "publicity.objection", post(client, f"/publicity-admin/objections/{objection}", {
        "decision": "dismissed", "note": "经核实不属实"}, "/publicity-admin/")


@case("PublicityAdminView.revoke_certificate")
def _revoke(app, client):
    decl = received(app, client)
    evaluate(app, [decl])
    login(client, "zcb")
    assert act(client, decl, "approve").status_code == 302 and status_of(app, decl) == "approved"
    return "certificate.revoke", post(client, f"/publicity-admin/certificates/{decl}/revoke", {"reason": "材料造假"},
                                      "/publicity-admin/")


def _submitted_for_the_unit(app, client) -> int:
    login(client, APPLICANT_ID)
    fill(client, app)
    submit(client)
    login(client, "baili_hr")
    return declaration_id(app)


@case("ReviewView.act")
def _review_step(app, client):
    decl = _submitted_for_the_unit(app, client)
    version = re.search(r'name="version" value="([0-9]+)"', client.get(f"/review/{decl}").get_data(as_text=True))
    return "workflow.approve", post(client, f"/review/{decl}/act",
                                    {"action": "approve", "opinion": "", "version": version.group(1)},
                                    "/account/password")


@case("ReviewView.bulk")
def _review_bulk(app, client):
    decl = _submitted_for_the_unit(app, client)
    return "workflow.approve", post(client, "/review/bulk", {"action": "approve", "ids": decl}, "/review/")


@case("ReviewView.print_batch")
def _print_batch(app, client):
    login(client, APPLICANT_ID)
    fill(client, app)
    submit(client)
    decl = declaration_id(app)
    login(client, "zcb")
    return "export.print_batch", post(client, "/review/print-batch", {"ids": decl}, "/review/?tab=all")


@case("ReviewView.export_again")
def _export_again(app, client):
    with app.app_context():
        job = ExportJob(account_id=account("zcb").id, kind="export", status="failed", total=0, attempt=1,
                        criteria='{"filters": {"status": "", "series": "", "level": "", "year": "", "unit": "", '
                                 '"tab": "all", "sort": "submitted", "desc": true}, "search": ""}')
        db.session.add(job)
        db.session.commit()
        job_id = job.id
    login(client, "zcb")
    return "export.again", post(client, f"/review/export/{job_id}/again", {}, "/review/?tab=all")


def test_the_audit_rows_of_a_notice_say_what_changed(app, client):
    """Withdrawing a notice (its end date moved into the past) is readable in the trail."""
    _expected, go = _withdraw_notice(app, client)
    _response, _reached, rows = performed(app, go)
    row = next(r for r in rows if r.action == "announcement.update")
    assert row.target.startswith("announcement:") and row.actor == "zcb" and row.role == "职称办"
    assert (clock.today() - timedelta(days=1)).isoformat() in row.after and "关于申报的通知" in row.after


def test_a_ballot_leaves_no_audit_row(app, client):
    """The walk leaves the ballot out on purpose: casting one writes nothing to the trail."""
    decl = received(app, client)
    group = prepare(app, [decl])
    expert = present_experts(app, group)[0]
    login(client, expert)
    go = post(client, f"/expert/{decl}/vote", {"choice": "yes"}, "/expert/")
    response, reached, rows = performed(app, go)
    assert response.status_code == 302 and "ExpertView.vote" in reached
    assert [r for r in rows if r.actor == expert] == []
    logout(client)


# (after every @case above: the parameters are read when the module is loaded)
@pytest.mark.parametrize("endpoint", sorted(CASES))
def test_each_administrative_write_leaves_an_audit_row(app, client, endpoint):
    expected, go = CASES[endpoint](app, client)
    response, reached, rows = performed(app, go)
    assert response.status_code < 400, response.get_data(as_text=True)[-1500:]
    assert endpoint.partition(":")[0] in reached
    assert expected in [row.action for row in rows], [row.action for row in rows]
    row = next(row for row in rows if row.action == expected)
    assert row.actor and row.ip and row.request_id
