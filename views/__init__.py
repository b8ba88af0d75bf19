"""Screens and endpoints. `register_views` adds them all to Flask-AppBuilder,
in one place, in menu order."""


def register_views(appbuilder):
    from views.account import AccountView
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
    # The back office (Flask-Admin) in the same menu; only the 管理员 has these entries.
    for label, href in (("机构", "/admin/fa_organisation/"), ("代码字典", "/admin/fa_dict_item/"),
                        ("协议与文本", "/admin/fa_site_text/")):
        appbuilder.add_link(label, href=href, label=label, icon="fa-cog", category="后台管理",
                            category_label="后台管理", category_icon="fa-cogs")
    appbuilder.add_view_no_menu(OrganisationSearchView)
    appbuilder.add_view_no_menu(AttachmentView)
    appbuilder.add_view_no_menu(PrintView)
    appbuilder.add_view_no_menu(VerifyView)
    appbuilder.add_view_no_menu(AccountView)
