"""The page frame's static tags: Flask-AppBuilder's style sheets and scripts
(the same files, in the same order, as its own base templates link), written
once per worker and mount point. Every page of the site carried some twenty
`url_for` calls and nonce macros for them, about a fifth of rendering an
empty page (#13); now a page inserts its nonce into the kept tags."""
from __future__ import annotations

from flask import current_app, request
from markupsafe import Markup, escape

from app.platform.web import csp_nonce

STYLES = ("css/bootstrap.min.css", "css/fontawesome/fontawesome.min.css", "css/fontawesome/regular.min.css",
          "css/fontawesome/solid.min.css", "css/fontawesome/brands.min.css", "css/fontawesome/v4-shims.min.css")
# after the theme's style sheet, when APP_THEME names one
LATER_STYLES = ("css/bootstrap-datepicker/bootstrap-datepicker3.min.css", "css/select2/select2.min.css",
                "css/select2/select2-bootstrap.min.css", "css/flags/flags16.css", "css/ab.css")
HEAD_SCRIPTS = ("js/jquery-latest.js", "js/ab_filters.js", "js/ab_actions.js")
TAIL_SCRIPTS = ("js/bootstrap.min.js", "js/bootstrap-datepicker/bootstrap-datepicker.min.js",
                "js/select2/select2.min.js", "js/ab.js")
NONCE = "\x00nonce\x00"   # where each page's nonce goes (never in a URL or a file name)


class FrameTags:
    def __init__(self, link):
        theme = current_app.appbuilder.app_theme
        styles = [*STYLES, *([f"css/themes/{theme}"] if theme else []), *LATER_STYLES]
        tags = "\n".join(f'<link href="{escape(link(name))}" rel="stylesheet">' for name in styles)
        self.styles = Markup(tags)  # nosec B704 - links built from our own static file names, escaped
        self._head = "\n".join(self._script(link(name)) for name in HEAD_SCRIPTS)
        self._tail = "\n".join(self._script(link(name)) for name in TAIL_SCRIPTS)

    @staticmethod
    def _script(url: str) -> str:
        return f'<script src="{escape(url)}" nonce="{NONCE}"></script>'

    @staticmethod
    def _with_nonce(tags: str) -> Markup:
        return Markup(tags.replace(NONCE, escape(csp_nonce())))  # nosec B704 - kept tags, escaped nonce

    def head_scripts(self) -> Markup:
        return self._with_nonce(self._head)

    def tail_scripts(self) -> Markup:
        return self._with_nonce(self._tail)


def install_frame_tags(app) -> None:
    kept: dict[str, FrameTags] = {}

    def frame_tags() -> FrameTags:
        tags = kept.get(request.script_root)
        if tags is None:
            url_for = app.jinja_env.globals["url_for"]
            tags = kept[request.script_root] = FrameTags(
                lambda name: url_for("appbuilder.static", filename=name))
        return tags

    app.jinja_env.globals["frame_tags"] = frame_tags
