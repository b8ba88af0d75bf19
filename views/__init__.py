"""Screens and endpoints. `register_views` adds them all to Flask-AppBuilder,
in one place, in menu order."""


def register_views(appbuilder):
    from flask import current_app

    from views.account import AccountView, MfaView
    from views.audit import AuditView
    from views.attachments import AttachmentView
    from views.declaration import DeclarationView
    from views.experts import ExpertView
    from views.meetings import MeetingView
    from views.menu import install_menu_cache
    from views.messages import MessageView
    from views.organisations import OrganisationSearchView, UnitView
    from views.printing import PrintView
    from views.publicity import CertificateView, PublicityAdminView, PublicityView
    from views.review import ReviewView
    from views.settings import DeclarationYearView
    from views.verify import VerifyView
    from views.api import ApiDocsView, CertificateApi, DeclarationApi, MenuApi, OpenApi, install_token_errors
    from views.notices import AnnouncementView, NoticeView, install_template_helpers
    from views.statistics import StatisticsView

    appbuilder.add_view(
        DeclarationView, "个人信息申报", label="个人信息申报", icon="fa-file-alt", category="专业技术",
        category_label="专业技术", category_icon="fa-id-card",
    )
    appbuilder.add_view(
        ReviewView, "待审核申报", label="申报审核", icon="fa-tasks", category="申报审核", category_label="申报审核",
        category_icon="fa-check-square",
    )
    appbuilder.add_link("答辩安排", href="/review/defence", label="答辩安排导入", icon="fa-calendar",
                        category="申报审核")
    appbuilder.add_view(
        MeetingView, "评审会议", label="评审会议", icon="fa-users", category="申报审核", category_label="申报审核",
    )
    appbuilder.add_view(
        PublicityAdminView, "公示与证书", label="公示与证书", icon="fa-bullhorn", category="申报审核",
        category_label="申报审核",
    )
    appbuilder.add_view(
        ExpertView, "评审任务", label="评审任务", icon="fa-gavel", category="评审任务", category_label="评审任务",
        category_icon="fa-gavel",
    )
    appbuilder.add_view(
        DeclarationYearView, "申报年度设置", label="申报年度设置", icon="fa-calendar-alt", category="单位管理",
    )
    appbuilder.add_view(
        UnitView, "工作单位", label="工作单位", icon="fa-building", category="单位管理", category_label="单位管理",
        category_icon="fa-sitemap",
    )
    appbuilder.add_link("单位树", href="/units/tree/", label="单位树", icon="fa-sitemap", category="单位管理")
    appbuilder.add_view(
        AuditView, "审计日志", label="审计日志", icon="fa-clipboard-list", category="安全审计",
        category_label="安全审计", category_icon="fa-user-shield",
    )
    # The back office (Flask-Admin) in the same menu; only the 管理员 has these entries.
    for label, href in (("机构", "/admin/fa_organisation/"), ("代码字典", "/admin/fa_dict_item/"),
                        ("协议与文本", "/admin/fa_site_text/")):
        appbuilder.add_link(label, href=href, label=label, icon="fa-cog", category="后台管理",
                            category_label="后台管理", category_icon="fa-cogs")
    appbuilder.add_view_no_menu(MfaView)
    appbuilder.add_view_no_menu(OrganisationSearchView)
    appbuilder.add_view_no_menu(AttachmentView)
    appbuilder.add_view_no_menu(PrintView)
    appbuilder.add_view_no_menu(VerifyView)
    appbuilder.add_view_no_menu(PublicityView)
    appbuilder.add_view_no_menu(CertificateView)
    appbuilder.add_view_no_menu(AccountView)
    # The manual's path: 专业技术 → 职称管理 → 个人信息申报 (FAB menus have two levels; the template draws the third).
    nest_menu(appbuilder, "专业技术", "职称管理", ("个人信息申报",))
    # statistics, announcements and help, the REST API and its documentation (#14)
    appbuilder.add_view(
        StatisticsView, "统计分析", label="统计分析", icon="fa-chart-bar", category="申报审核",
    )
    appbuilder.add_view(
        AnnouncementView, "通知公告", label="通知公告", icon="fa-bullhorn", category="单位管理",
    )
    # every role's messages (the applicant's, the reviewers' reminders): its own entry, not under 专业技术
    appbuilder.add_view(MessageView, "我的消息", label="我的消息", icon="fa-bell")
    appbuilder.add_link("帮助", href="NoticeView.help", label="帮助", icon="fa-question-circle")
    appbuilder.add_view_no_menu(NoticeView)
    appbuilder.add_view_no_menu(ApiDocsView)
    appbuilder.add_api(DeclarationApi)
    appbuilder.add_api(CertificateApi)
    appbuilder.add_api(OpenApi)
    appbuilder.add_api(MenuApi)
    install_template_helpers(current_app)
    install_menu_cache(current_app, appbuilder)
    install_token_errors(appbuilder.sm)


def nest_menu(appbuilder, category: str, group: str, names: tuple[str, ...]) -> None:
    from flask_appbuilder.menu import MenuItem

    parent = appbuilder.menu.find(category)
    moved = [item for item in parent.childs if item.name in names]
    parent.childs = [MenuItem(group, label=group, childs=moved)] + [i for i in parent.childs if i not in moved]
