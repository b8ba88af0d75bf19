"""Screens and endpoints. `register_views` adds them all to Flask-AppBuilder,
in one place, in menu order."""


def register_views(appbuilder):
    from flask import current_app

    from views.account import AccountView
    from views.attachments import AttachmentView
    from views.declaration import DeclarationView
    from views.messages import MessageView
    from views.organisations import OrganisationSearchView, UnitView
    from views.printing import PrintView
    from views.review import ReviewView
    from views.settings import DeclarationYearView
    from views.verify import VerifyView
    from views.api import ApiDocsView, CertificateApi, DeclarationApi, OpenApi, install_token_errors
    from views.notices import AnnouncementView, NoticeView, install_template_helpers
    from views.statistics import StatisticsView

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
    appbuilder.add_view_no_menu(OrganisationSearchView)
    appbuilder.add_view_no_menu(AttachmentView)
    appbuilder.add_view_no_menu(PrintView)
    appbuilder.add_view_no_menu(VerifyView)
    appbuilder.add_view_no_menu(AccountView)
    # statistics, announcements and help, the REST API and its documentation (#14)
    appbuilder.add_view(
        StatisticsView, "统计分析", label="统计分析", icon="fa-chart-bar", category="申报审核",
    )
    appbuilder.add_view(
        AnnouncementView, "通知公告", label="通知公告", icon="fa-bullhorn", category="单位管理",
    )
    appbuilder.add_link("帮助", href="/notices/help", label="帮助", icon="fa-question-circle")
    appbuilder.add_view_no_menu(NoticeView)
    appbuilder.add_view_no_menu(ApiDocsView)
    appbuilder.add_api(DeclarationApi)
    appbuilder.add_api(CertificateApi)
    appbuilder.add_api(OpenApi)
    install_template_helpers(current_app)
    install_token_errors(appbuilder.sm)
