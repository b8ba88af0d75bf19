"""The raw permission tables (FAB's 基本权限, 视图/菜单, 视图/菜单权限), for
the administrator only, in plain Chinese (same class names as FAB's, so the
permissions that name them stay the same): each internal name is shown with
what it means; the internal name is in its tooltip, for support."""
from __future__ import annotations

from flask_appbuilder.security import views as fab
from markupsafe import Markup, escape

PERMISSIONS = {
    "can_list": "查看列表", "can_show": "查看详情", "can_add": "新增", "can_edit": "修改", "can_delete": "删除",
    "can_download": "下载", "can_this_form_get": "打开表单", "can_this_form_post": "提交表单",
    "can_userinfo": "查看本人信息", "resetmypassword": "修改本人密码", "resetpasswords": "重置他人密码",
    "userinfoedit": "修改本人信息", "copyrole": "复制角色", "can_chart": "查看统计图", "can_get": "读取",
    "can_declare": "填写申报", "can_index": "打开首页", "can_review": "审核申报", "can_search": "查询",
    "can_file": "查看附件", "can_print": "打印", "can_password": "修改密码",  # nosec B105 - a label
    "menu_access": "显示菜单",
    "can_read": "读取", "can_write": "写入", "can_info": "查看说明", "can_post": "提交", "can_put": "更新",
    "resetmfa": "重置动态验证码", "can_meetings": "评审会议", "can_publicity": "公示与证书", "can_expert": "评审任务",
    "can_export": "导出", "can_certificate": "电子证书", "can_statistics": "统计分析", "can_docs": "接口文档",
}
VIEWS = {
    "HomeView": "首页", "UtilView": "返回上一页", "LocaleView": "切换语言", "SecurityApi": "接口登录",
    "RegisterView": "注册", "UserInfoEditView": "修改本人信息", "ResetPasswordView": "重置密码",
    "ResetMyPasswordView": "修改本人密码", "AuthView": "登录", "UserView": "用户列表", "RoleView": "角色列表",
    "UserGroupModelView": "用户组（未使用）", "UserStatsChartView": "用户统计（未使用）",
    "RegisterUserModelView": "注册审核（未使用）", "PermissionModelView": "权限名称",
    "ViewMenuModelView": "页面与菜单", "PermissionViewModelView": "页面权限", "MenuApi": "菜单接口",
    "DeclarationView": "个人信息申报", "MessageView": "我的消息", "ReviewView": "申报审核",
    "DeclarationYearView": "申报年度设置", "UnitView": "工作单位", "OrganisationSearchView": "单位查询",
    "AttachmentView": "附件", "PrintView": "打印", "VerifyView": "证书查询", "AccountView": "账号与密码",
    "Security": "用户与权限（菜单）", "List Users": "用户列表（菜单）", "List Roles": "角色列表（菜单）",
    "Base Permissions": "权限名称（菜单）", "Views/Menus": "页面与菜单（菜单）",
    "Permission on Views/Menus": "页面权限（菜单）",
    "MeetingView": "评审会议", "PublicityAdminView": "公示与证书", "ExpertView": "评审任务", "AuditView": "审计日志",
    "MfaView": "动态验证码", "PublicityView": "公示（公开页面）", "CertificateView": "电子证书",
    "StatisticsView": "统计分析", "AnnouncementView": "通知公告", "NoticeView": "通知公告与帮助（公开页面）",
    "ApiDocsView": "接口文档", "DeclarationApi": "申报接口", "OpenApi": "接口描述文档",
}


def _named(names: dict[str, str]):
    def show(value) -> Markup:
        raw = getattr(value, "name", value)
        meaning = names.get(raw)
        if meaning is None:
            return escape(raw)                       # a Chinese menu name is its own meaning
        return Markup('<span title="{}">{}</span>').format(raw, meaning)
    return show


class PermissionModelView(fab.PermissionModelView):
    list_title = "权限名称"
    label_columns = {"name": "权限"}
    formatters_columns = {"name": _named(PERMISSIONS)}


class ViewMenuModelView(fab.ViewMenuModelView):
    list_title = "页面与菜单"
    label_columns = {"name": "页面或菜单"}
    formatters_columns = {"name": _named(VIEWS)}


class PermissionViewModelView(fab.PermissionViewModelView):
    list_title = "页面权限"
    label_columns = {"permission": "权限", "view_menu": "页面或菜单"}
    formatters_columns = {"permission": _named(PERMISSIONS), "view_menu": _named(VIEWS)}
