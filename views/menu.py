"""The navigation menu, rendered once per set of roles. Which entries a person
sees depends only on their roles' permissions, and the built-in roles'
permissions are data of the code (permissions/roles.py): rendering the menu on
every page asked for ~40 permission checks and url_for calls. A person with a
role an administrator created in the database gets it rendered each time."""
from flask import current_app, render_template, request
from flask_login import current_user
from markupsafe import Markup


def install_menu_cache(app, appbuilder) -> None:
    rendered: dict[tuple[str, frozenset[str]], Markup] = {}

    def menu_html() -> Markup:
        roles = _roles_key(appbuilder.sm)
        key = (request.script_root, roles)   # its links follow where the application is mounted
        if key in rendered:
            return rendered[key]
        # the output of a template, escaped by Jinja as it was rendered
        html = Markup(render_template("appbuilder/menu_items.html", menu=appbuilder.menu))  # nosec B704
        if roles is not None:
            rendered[key] = html
        return html

    app.jinja_env.globals["menu_html"] = menu_html


def _roles_key(sm) -> frozenset[str] | None:
    """The names of the signed-in person's roles; None (not kept) for anyone
    not signed in, or with a role that is not built in (its permissions live
    in the database and may change)."""
    if not current_user.is_authenticated:
        return None
    names = frozenset(role.name for role in sm.get_user_roles(current_user))
    return names if names <= set(current_app.config.get("FAB_ROLES", {})) else None
