"""Accounts screen for administrators (M3): reviewer accounts bound to one
organisation node of the kind their role acts for; disable; reset password."""
from __future__ import annotations


from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.actions import action
from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.models.sqla.filters import FilterNotEqual
from flask_appbuilder.security.views import ResetMyPasswordView as FabResetMyPasswordView
from flask_appbuilder.security.views import ResetPasswordView as FabResetPasswordView
from flask_appbuilder.security import views as fab
from flask_appbuilder.security.views import RoleModelView, UserDBModelView
from flask_appbuilder.security.views import UserInfoEditView as FabUserInfoEditView
from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo, Optional, ValidationError

from app.accounts import auth as accounts
from app.accounts import mfa
from app.platform.audit import identifiers_read, record
from app.platform.extensions import db
from app.platform.web import local_time
from models import ORG_KINDS, Account, clock
from models.identity import normalise_text, phone_error
from permissions.roles import OWN_ROLES_MESSAGE, PUBLIC_ROLE, ROLE_ORG_KIND, separation_error
from views.account_forms import ValidPassword
from views.base import AuditedMixin, ChineseFormsMixin


def valid_phone(form, field):
    if field.data:
        field.data = normalise_text(field.data)
        error = phone_error(field.data)
        if error:
            raise ValidationError(error)


def roles_required(form, field):
    if not field.data:
        raise ValidationError("请至少选择一个角色")


def separate_duties(form, field):
    """三员分立: the separated roles are not given to one account, and nobody
    changes their own roles. A refused attempt is an audit row of its own
    (the form itself is not saved)."""
    chosen = sorted(r.name for r in (field.data or []))
    editing = getattr(form, "_id", None)   # FAB sets the edited row's key before validating
    error = None
    if editing is not None and editing == getattr(g.user, "id", None):
        current = db.session.get(Account, editing)
        if sorted(r.name for r in current.roles) != chosen:
            error = OWN_ROLES_MESSAGE
    error = error or separation_error(chosen)
    if error:
        target = f"ab_user:{editing}" if editing is not None else f"new:{normalise_text(form.username.data or '')}"
        record("user.roles_refused", target, after={"roles": chosen, "reason": error})
        db.session.commit()
        raise ValidationError(error)


def check_role_organisation(form, field):
    """A reviewer belongs to exactly one node, of the kind its role acts for.
    (A validator of the roles field: the optional org field's own validators
    stop when it is empty.)"""
    roles = {r.name for r in (field.data or [])}
    org = form.org.data if "org" in form else None
    needed = {ROLE_ORG_KIND[r] for r in roles if r in ROLE_ORG_KIND}
    if len(needed) > 1:
        raise ValidationError("一个账号只能代表一个机构，请只选择一种审核角色")
    if needed:
        kind = needed.pop()
        if org is None:
            raise ValidationError(f"审核账号必须选择所属{ORG_KINDS[kind]}")
        if org.kind != kind:
            raise ValidationError(f"所选角色应属于{ORG_KINDS[kind]}，而“{org.name}”是{org.kind_label}")


class UserView(ChineseFormsMixin, UserDBModelView):
    list_title = "用户列表"
    show_title = "用户详情"
    add_title = "新增用户"
    edit_title = "修改用户"
    label_columns = {
        **UserDBModelView.label_columns,
        "first_name": "姓名",
        "username": "登录账号",
        "login_name": "登录账号",
        "masked_id_number": "身份证号",
        "masked_phone": "手机号",
        "phone": "手机号",
        "org": "所属机构",
        "active": "启用",
        "email": "邮箱",
        "roles": "角色",
        "password": "密码",  # nosec B105 - a form label
        "conf_password": "确认密码",  # nosec B105 - a form label
        "locked_until": "锁定至",
        "last_login": "最近登录",
        "login_count": "登录次数",
        "fail_login_count": "连续失败次数",
    }
    description_columns = {
        "username": "申报人以身份证号为账号；审核人员使用分配的用户名",
        "org": "审核账号代表的机构（工作单位、主管部门、评委会或职称办）",
        "active": "停用的账号不能登录",
    }
    # An applicant's stored user name is derived from the ID's keyed hash; the
    # list shows the masked ID number instead.
    list_columns = ["first_name", "login_name", "masked_phone", "org", "roles", "active"]
    search_columns = ["first_name", "username", "org", "roles", "active"]
    formatters_columns = {
        "active": lambda v: "是" if v else "否",
        "org": lambda v: v or "—",
        "roles": lambda v: "、".join(r.name for r in v) if v else "—",
        "locked_until": lambda v: local_time(v) or "—",
        "last_login": lambda v: local_time(v) or "—",
        "login_count": lambda v: v or 0,
        "fail_login_count": lambda v: v or 0,
    }
    show_fieldsets = [
        ("账号信息", {"fields": ["first_name", "username", "masked_id_number", "masked_phone", "email", "org",
                               "roles", "active"]}),
        ("登录情况", {"fields": ["last_login", "login_count", "fail_login_count", "locked_until"]}),
    ]
    user_show_fieldsets = show_fieldsets[:1]
    add_columns = ["first_name", "username", "email", "phone", "org", "roles", "active", "password",
                   "conf_password"]
    edit_columns = ["first_name", "username", "email", "phone", "org", "roles", "active"]
    # The anonymous visitors' role is never given to an account.
    add_form_query_rel_fields = {"roles": [["name", FilterNotEqual, PUBLIC_ROLE]]}
    edit_form_query_rel_fields = add_form_query_rel_fields
    add_form_extra_fields = {
        "password": PasswordField("密码", validators=[DataRequired("请输入密码"), ValidPassword()], widget=BS3PasswordFieldWidget(),
                                  description="以字母开头，同时包含字母和数字，8至20位"),
        "conf_password": PasswordField("确认密码", widget=BS3PasswordFieldWidget(), validators=[
            DataRequired("请再次输入密码"), EqualTo("password", "两次输入的密码不一致")]),
    }
    validators_columns = {
        **UserDBModelView.validators_columns,
        "phone": [Optional(), valid_phone],
        # FAB's own roles_or_groups_required looks up a "groups" field this form
        # does not have (a 500 when no role is chosen).
        "roles": [roles_required, separate_duties, check_role_organisation],
    }

    @action("resetmfa", "重置动态验证码", "确定清除该账号绑定的身份验证器吗？下次登录时需重新绑定。", "fa-mobile-alt",
            multiple=False)
    def resetmfa(self, item):
        """A staff member lost the phone: the next login binds a new authenticator.
        FAB's list form (action_post) hands over a list: each is reset and audited."""
        items = item if isinstance(item, list) else [item]
        for user in items:
            if user is not None:
                mfa.reset(user)
        flash("已重置动态验证码，该用户下次登录时重新绑定身份验证器", "info")
        if len(items) == 1 and items[0] is not None:
            return redirect(url_for("UserView.show", pk=items[0].id))
        return redirect(url_for("UserView.list"))

    def prefill_form(self, form, pk):
        # the edit form shows the full phone number: an audited read
        if form.phone.data:
            identifiers_read("pii.view", f"ab_user:{pk}", 1)

    def pre_add(self, item):
        # Overriding FAB's pre_add drops its hashing: hash here with the one
        # hasher; a password an administrator chose is temporary (#9 item 1).
        item.password = accounts.hash_password(item.password or "")
        item.must_change_password = True
        item.password_changed_at = clock.now()
        item.last_name = ""
        item.phone = item.phone or None

    def post_add(self, item):
        record("user.create", f"ab_user:{item.id}", after=_audit_view(item))
        db.session.commit()

    def pre_update(self, item):
        super().pre_update(item)
        item.last_name = item.last_name or ""
        item.phone = item.phone or None

    def post_update(self, item):
        record("user.update", f"ab_user:{item.id}", after=_audit_view(item))
        db.session.commit()

    def pre_delete(self, item):
        record("user.delete", f"ab_user:{item.id}", before=_audit_view(item))


def _audit_view(user) -> dict:
    return {"username": user.username, "name": user.first_name, "roles": sorted(r.name for r in user.roles),
            "org": user.org.name if user.org else None, "active": user.active}


class AdminResetPasswordForm(DynamicForm):
    password = PasswordField("新密码", validators=[DataRequired("请输入新密码"), ValidPassword()],
                             widget=BS3PasswordFieldWidget(),
                             description="以字母开头，同时包含字母和数字，8至20位。这是临时密码：用户首次登录时必须修改")
    conf_password = PasswordField("确认密码", widget=BS3PasswordFieldWidget(), validators=[
        DataRequired("请再次输入新密码"), EqualTo("password", "两次输入的密码不一致")])


class ResetPasswordView(FabResetPasswordView):
    """重置密码 of 用户列表: the A3 rule, the one hasher, temporary."""

    form = AdminResetPasswordForm
    form_title = "重置密码"
    message = "密码已重置。用户使用该临时密码登录后必须修改密码。"

    def form_post(self, form):
        from models import Account

        user = db.session.get(Account, _int_or_404(request.args.get("pk")))
        accounts.set_password_by_administrator(user, form.password.data)
        flash(self.message, "info")


class ResetMyPasswordView(FabResetMyPasswordView):
    """One's own password is changed only on 修改密码 (with the old one)."""

    @expose("/form", methods=["GET", "POST"])
    def this_form_get(self):
        return redirect(url_for("AccountView.password"))

    this_form_post = this_form_get


class UserInfoEditView(FabUserInfoEditView):
    """FAB's own profile form is not offered (the name menu has 修改密码)."""

    @expose("/form", methods=["GET", "POST"])
    def this_form_get(self):
        return redirect(url_for("AccountView.password"))

    this_form_post = this_form_get


def _int_or_404(value) -> int:
    if not (value or "").isascii() or not (value or "").isdigit() or int(value) > 2**31 - 1:
        abort(404)
    return int(value)


class UserGroupModelView(fab.UserGroupModelView):
    """FAB's groups are not used here: listed only, and they give no roles
    (SecurityManager.get_user_roles), so no group can join roles that 三员分立
    keeps apart."""

    base_permissions = ["can_list", "can_show"]


class RoleView(RoleModelView):
    """Roles are data in permissions/roles.py; here they are only listed."""

    base_permissions = ["can_list", "can_show"]
    list_title = "角色列表"
    show_title = "角色详情"
    label_columns = {"name": "角色名称", "user": "账号"}
    list_columns = ["name"]
    show_columns = ["name"]
    search_columns = ["name"]
    related_views = []

    def copy_role(self, items):
        """FAB's 复制角色 action is not offered (this plain method replaces it):
        roles are data, and a copy made here would be an unaudited new role."""
        abort(404)


# The two below keep FAB's class names: their endpoints and permissions stay as they were.
class RegisterUserModelView(AuditedMixin, fab.RegisterUserModelView):
    """FAB's registration requests (registration here creates the account at
    once, so the list stays empty); deleting one is still audited."""

    audit_name = "register_user"

    def _audit_state(self, item) -> dict:
        return {"username": item.username, "email": item.email}
