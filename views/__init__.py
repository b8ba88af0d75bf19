"""Screens and endpoints. `register_views` adds them all to Flask-AppBuilder,
in one place, in menu order."""


def register_views(appbuilder):
    from views.account import AccountView, MfaView
    from views.audit import AuditView
    from views.attachments import AttachmentView
    from views.declaration import DeclarationView
    from views.messages import MessageView
    from views.organisations import OrganisationSearchView, UnitView
    from views.printing import PrintView
    from views.review import ReviewView
    from views.settings import DeclarationYearView
    from views.verify import VerifyView

    appbuilder.add_view(
        DeclarationView, "个人信息申报", label="个人信息申报", icon="fa-file-alt", category="专业技术",
        category_label="专业技术", category_icon="fa-id-card",
    )
    appbuilder.add_view(
        MessageView, "我的消息", label="我的消息", icon="fa-bell", category="专业技术", category_label="专业技术",
    )
    appbuilder.add_view(
        ReviewView, "待审核申报", label="申报审核", icon="fa-tasks", category="申报审核", category_label="申报审核",
        category_icon="fa-check-square",
    )
    appbuilder.add_link("答辩安排", href="/review/defence", label="答辩安排导入", icon="fa-calendar",
                        category="申报审核")
    appbuilder.add_view(
        DeclarationYearView, "申报年度设置", label="申报年度设置", icon="fa-calendar-alt", category="单位管理",
    )
    appbuilder.add_view(
        UnitView, "工作单位", label="工作单位", icon="fa-building", category="单位管理", category_label="单位管理",
        category_icon="fa-sitemap",
    )
    appbuilder.add_view(
        AuditView, "审计日志", label="审计日志", icon="fa-clipboard-list", category="安全审计",
        category_label="安全审计", category_icon="fa-user-shield",
    )
    appbuilder.add_view_no_menu(MfaView)
    appbuilder.add_view_no_menu(OrganisationSearchView)
    appbuilder.add_view_no_menu(AttachmentView)
    appbuilder.add_view_no_menu(PrintView)
    appbuilder.add_view_no_menu(VerifyView)
    appbuilder.add_view_no_menu(AccountView)
