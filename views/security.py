"""Flask-AppBuilder's security manager, adapted: our user model, our login,
registration and password views, lock-out and temporary passwords, the
JSON login under the same rules, and only the admin screens we use."""
from __future__ import annotations

from flask import g
from flask_appbuilder.security.sqla.manager import SecurityManager as FabSecurityManager
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from models import Account
from views.account import AuthView, RegisterView
from views.api_security import SecurityApi
from views.permission_lists import PermissionModelView, PermissionViewModelView, ViewMenuModelView
from views.users import (
    RegisterUserModelView,
    ResetMyPasswordView,
    ResetPasswordView,
    RoleView,
    UserGroupModelView,
    UserInfoEditView,
    UserView,
)

# Built once: building the eager-load options cost more than running the query.
_ACCOUNT_BY_ID = select(Account).options(joinedload(Account.roles), joinedload(Account.groups),
                                         joinedload(Account.org)).where(Account.id == bindparam("pk"))


class SecurityManager(FabSecurityManager):
    user_model = Account   # Flask-AppBuilder's name for it

    authdbview = AuthView
    registeruserdbview = RegisterView
    userdbmodelview = UserView
    rolemodelview = RoleView
    groupmodelview = UserGroupModelView
    registerusermodelview = RegisterUserModelView
    permissionmodelview = PermissionModelView
    viewmenumodelview = ViewMenuModelView
    permissionviewmodelview = PermissionViewModelView
    security_api = SecurityApi
    resetpasswordview = ResetPasswordView
    resetmypasswordview = ResetMyPasswordView
    userinfoeditview = UserInfoEditView

    def auth_user_db(self, username, password):
        # Every login path (form, JSON API) goes through accounts.authenticate.
        from app.accounts.auth import authenticate

        user, _error = authenticate(username, password)
        return user

    def reset_password(self, userid, password):
        # Whatever FAB code calls this: the A3 rule, the one hasher, temporary.
        from app.accounts.auth import set_password_by_administrator
        from models.identity import password_error

        if password_error(password):
            raise ValueError(password_error(password))
        set_password_by_administrator(self.get_user_by_id(userid), password)

    def get_user_roles(self, user):
        # An account's roles are its own roles only (as `role_names` reads them):
        # groups are not used, and a group must not hand out a role past 三员分立.
        if not user.is_authenticated:
            return [self.get_public_role()]
        return list(user.roles)

    def load_user(self, pk):
        # Every signed-in request: the account with its roles, groups and
        # organisation in one statement (Flask-Login keeps it for the request).
        if not str(pk).isdigit() or len(str(pk)) > 9:
            return None
        user = self.session.execute(_ACCOUNT_BY_ID, {"pk": int(pk)}).unique().scalar_one_or_none()
        return user if user is not None and user.is_active else None

    def load_user_jwt(self, _jwt_header, jwt_data):
        # A token lives only as long as its API session (idle and absolute
        # limits, logout, and whatever ends the account's sessions), and one
        # issued before the last password change is worthless besides.
        from app.accounts.sessions import api_session_alive

        sub = str(jwt_data.get("sub", ""))
        if not sub.isdigit() or not api_session_alive(jwt_data.get("sid"), int(sub)):
            return None
        user = super().load_user_jwt(_jwt_header, jwt_data)
        changed = getattr(user, "password_changed_at", None)
        if user is not None and changed is not None and jwt_data.get("iat", 0) < int(changed.timestamp()):
            g.pop("user", None)
            return None
        return user

    def register_views(self):
        super().register_views()
        # Screens we do not use: FAB's e-mail registration queue, group
        # and raw permission tables. Roles are data (permissions/roles.py).
        unused = {"User Registrations", "List Groups", "User's Statistics"}
        # Plain Chinese in the menu (the raw tables are the administrator's only).
        labels = {"Security": "用户与权限", "Base Permissions": "权限名称（系统内部）",
                  "Views/Menus": "页面与菜单（系统内部）", "Permission on Views/Menus": "页面权限（系统内部）"}
        for item in self.appbuilder.menu.menu:
            item.label = labels.get(item.name, item.label)
            item.childs = [c for c in (item.childs or []) if getattr(c, "name", None) not in unused]
            for child in item.childs:
                child.label = labels.get(getattr(child, "name", None), getattr(child, "label", ""))
