"""Screens and endpoints. `register_views` adds them all to Flask-AppBuilder,
in one place, in menu order."""


def register_views(appbuilder):
    from views.account import AccountView
    from views.declaration import DeclarationView
    from views.organisations import OrganisationSearchView, UnitView

    appbuilder.add_view(
        DeclarationView, "个人信息申报", label="个人信息申报", icon="fa-file-alt", category="专业技术",
        category_label="专业技术", category_icon="fa-id-card",
    )
    appbuilder.add_view(
        UnitView, "工作单位", label="工作单位", icon="fa-building", category="单位管理", category_label="单位管理",
        category_icon="fa-sitemap",
    )
    appbuilder.add_view_no_menu(OrganisationSearchView)
    appbuilder.add_view_no_menu(AccountView)
