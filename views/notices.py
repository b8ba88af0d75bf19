"""通知公告 (B11): the title office publishes them; the login page and the
home pages list those published today; anyone reads a published one and
its policy file. 帮助: the FAQ administrators edit in 后台管理 → 协议与文本."""
from __future__ import annotations

from flask import abort, g, request
from flask_appbuilder import BaseView, ModelView, expose
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_wtf.file import FileField
from wtforms import BooleanField, SelectField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.declaration.data import lookups
from app.insight.notices import (
    applicant_series,
    current_announcements,
    file_error,
    is_published,
    store_file,
    visible_to,
)
from app.platform.extensions import db
from app.platform.files import file_response
from app.platform.storage import StorageMissing, storage
from models import Announcement, SiteText
from permissions.roles import APPLICANT_ROLE, OFFICE_ROLE
from views.base import AuditedMixin, ChineseFormsMixin


def _series_choices():
    return [("", "全部系列")] + [(code, name) for code, name, _ in lookups().series]


def ends_after_start(form, field):
    if field.data and form.publish_on.data and field.data < form.publish_on.data:
        raise ValidationError("结束日期不能早于发布日期")


def policy_file(form, field):
    upload = field.data
    if upload and getattr(upload, "filename", ""):
        data = upload.read()
        upload.seek(0)
        error = file_error(data)
        if error:
            raise ValidationError(error)


def _save_upload(item: Announcement) -> None:
    upload = request.files.get("attachment")
    if upload and upload.filename:
        data = upload.read()
        if file_error(data) is None:
            store_file(item, data, upload.filename)
    item.series = item.series or None


class AnnouncementView(AuditedMixin, ChineseFormsMixin, ModelView):
    """The title office's 通知公告 list: publish, change, withdraw (each an audit row)."""
    audit_name = "announcement"
    datamodel = SQLAInterface(Announcement)
    route_base = "/notices/manage"
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_delete"]
    base_order = ("publish_on", "desc")
    list_title = show_title = "通知公告"
    add_title = "发布通知公告"
    edit_title = "修改通知公告"
    label_columns = {"title": "标题", "body": "正文", "series": "适用系列", "publish_on": "发布日期",
                     "unpublish_on": "结束日期", "pinned": "置顶", "attachment_name": "附件",
                     "attachment": "附件（PDF、JPG或PNG，10MB以内）", "created_at": "创建时间"}
    list_columns = ["title", "series", "publish_on", "unpublish_on", "pinned", "attachment_name"]
    show_columns = ["title", "body", "series", "publish_on", "unpublish_on", "pinned", "attachment_name"]
    add_columns = edit_columns = ["title", "body", "series", "publish_on", "unpublish_on", "pinned", "attachment"]
    add_form_extra_fields = edit_form_extra_fields = {
        "series": SelectField("适用系列", choices=_series_choices, validators=[Optional()],
                              description="选择系列时，仅该系列的申报人在首页看到"),
        # a plain checkbox: FAB would make a NOT NULL boolean "required", refusing an unticked box
        "pinned": BooleanField("置顶", description="置顶的公告排在最前"),
        "attachment": FileField("附件（PDF、JPG或PNG，10MB以内）", validators=[policy_file]),
    }
    description_columns = {"unpublish_on": "含当天；留空表示一直显示"}
    formatters_columns = {
        "series": lambda v: lookups().name("title_series", v) if v else "全部系列",
        "unpublish_on": lambda v: v or "—",
        "attachment_name": lambda v: v or "—",
    }
    validators_columns = {
        "title": [DataRequired("请填写标题"), Length(max=100, message="标题最多100个字")],
        "body": [Length(max=20000, message="正文最多20000个字")],
        "publish_on": [DataRequired("请选择发布日期")],
        "unpublish_on": [ends_after_start],
    }

    def _audit_state(self, item) -> dict:
        return {"title": item.title, "series": item.series, "publish_on": item.publish_on,
                "unpublish_on": item.unpublish_on, "pinned": item.pinned, "attachment": item.attachment_name,
                "body": (item.body or "")[:500]}

    def pre_add(self, item):
        item.author_id = g.user.id
        _save_upload(item)

    def pre_update(self, item):
        _save_upload(item)


class NoticeView(BaseView):
    """Reading announcements (public) and 帮助."""
    route_base = "/notices"
    default_view = "index"

    @expose("/")
    def index(self):
        series, staff = _reader()
        return self.render_template("insight/notices.html",
                                    notices=current_announcements(series, staff=staff, limit=100))

    @expose("/<int:notice_id>")
    def show(self, notice_id):
        return self.render_template("insight/notice.html", notice=_readable_or_404(notice_id))

    @expose("/<int:notice_id>/file")
    def file(self, notice_id):
        notice = _readable_or_404(notice_id)
        if not notice.attachment_key:
            abort(404)
        try:
            data = storage().read(notice.attachment_key)
        except StorageMissing:
            abort(404, description="附件文件缺失，请联系职称办")
        return file_response(data, notice.attachment_name)

    @expose("/help")
    def help(self):
        text = db.session.get(SiteText, "help")
        return self.render_template("insight/help.html", text=text, faq=_faq(text.body if text else ""))


def _faq(body: str) -> list[tuple[str, str]]:
    """Paragraphs separated by blank lines; a paragraph's first line is its question."""
    out = []
    for block in body.replace("\r\n", "\n").split("\n\n"):
        lines = [line.strip() for line in block.strip().split("\n") if line.strip()]
        if lines:
            out.append((lines[0], "\n".join(lines[1:])))
    return out


def install_template_helpers(app) -> None:
    """What the login page and the home pages call to list announcements."""
    def notices_for_page(everyone_only: bool = False):
        if everyone_only:
            return current_announcements()
        series, staff = _reader()
        return current_announcements(series, staff=staff)

    app.jinja_env.globals["notices_for_page"] = notices_for_page


def _reader() -> tuple[str | None, bool]:
    """(series, staff) of whoever asks: the public and an applicant without a
    series read only announcements for everyone; an applicant also those of
    the series of this year's declaration; any other signed-in role all."""
    if g.user is None or not g.user.is_authenticated:
        return None, False
    if set(g.user.role_names) - {APPLICANT_ROLE}:
        return None, True
    return applicant_series(g.user.id), False


def _readable_or_404(notice_id: int) -> Announcement:
    """A published announcement its reader may see (`visible_to`); any
    announcement for the title office."""
    office = g.user is not None and g.user.is_authenticated and OFFICE_ROLE in g.user.role_names
    announcement = db.session.get(Announcement, notice_id)
    if announcement is None or not (office or (is_published(announcement) and visible_to(announcement, *_reader()))):
        abort(404)
    return announcement


