"""The administrators' back-office (Flask-Admin at /admin): dictionaries,
the organisation tree with committees, and editable texts. Administrators
only, behind the same login and the same CSRF protection as the rest."""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from flask import abort, flash, redirect, request, url_for
from flask_admin import Admin, AdminIndexView, expose
from flask_admin.contrib.sqla import ModelView
from flask_admin.model import typefmt
from flask_admin.model.template import EndpointLinkRowAction
from flask_admin.theme import Bootstrap4Theme
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from wtforms import SelectField
from wtforms.validators import NumberRange, ValidationError

from app.data.organisations import OrganisationInUse, merge, merge_targets, tree, usage
from app.platform.audit import record
from app.platform.extensions import db
from app.platform.web import csp_nonce
from models import (
    DICTIONARY_KINDS,
    ORG_KINDS,
    SPECIAL_PAGES,
    DictItem,
    Organisation,
    SiteText,
    StepTimeLimit,
    TitleLevel,
    TitleName,
    TitleSeries,
)
from models.clock import local
from models.identity import credit_code_error, normalise_text
from models.organisation import ALLOWED_PARENTS
from permissions.roles import ADMIN_ROLE
from views.base import DATABASE_MESSAGE, DUPLICATE_MESSAGE


def is_admin() -> bool:
    return bool(current_user and current_user.is_authenticated and ADMIN_ROLE in current_user.role_names)


def site_menu() -> list[tuple[str, str | None, list[tuple[str, str]]]]:
    """The system's own menu (Flask-AppBuilder's) as this person sees it on every
    other page — the same visibility rule (menu_access on the entry, a category's
    own included), groups inside a category flattened, top-level links such as
    我的消息 and 帮助 kept: (label, url of a link or None, [(label, url)] of a category)."""
    from flask import current_app
    appbuilder = current_app.appbuilder

    def visible(item) -> bool:
        return item.name != "-" and appbuilder.sm.has_access("menu_access", item.name)

    menu = []
    for item in appbuilder.menu.get_list():
        if item.name == "后台管理" or not visible(item):
            continue
        if not item.childs:
            menu.append((str(item.label), item.get_url(), []))
            continue
        children = []
        for child in item.childs:
            if child.childs:       # a group (专业技术 → 职称管理 → 个人信息申报)
                children += [(str(c.label), c.get_url()) for c in child.childs if visible(c)]
            elif visible(child):
                children.append((str(child.label), child.get_url()))
        if children:
            menu.append((str(item.label), None, children))
    return menu


class AdminOnly:
    def is_accessible(self):
        return is_admin()

    def render(self, template, **kwargs):
        kwargs.setdefault("site_menu", site_menu())
        return super().render(template, **kwargs)

    def inaccessible_callback(self, name, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("AuthView.login", next=request.full_path))
        abort(403)


class IndexView(AdminOnly, AdminIndexView):
    @expose("/")
    def index(self):
        return self.render("admin_index.html")


def _yes_no(view, value, name):
    return "是" if value else "否"


def _moment(view, value, name):
    return local(value).strftime("%Y-%m-%d %H:%M")


def _day(view, value, name):
    return value.strftime("%Y-%m-%d")


#: values as the rest of the system shows them: 是/否, never True/False or an icon
#: titled in English; times to the minute, never with microseconds
_FORMATTERS = {bool: _yes_no, datetime: _moment, date: _day}


class SecuredModelView(AdminOnly, ModelView):
    page_size = 50
    can_view_details = True
    can_export = False
    column_type_formatters = {**typefmt.BASE_FORMATTERS, **_FORMATTERS}
    column_type_formatters_detail = {**typefmt.DETAIL_FORMATTERS, **_FORMATTERS}

    def action_delete(self, ids):
        """批量删除: Flask-Admin hands the ids over as text, and PostgreSQL
        compares an integer key only with integers (the query failed there)."""
        if self.model.__mapper__.primary_key[0].type.python_type is int:
            ids = [int(i) for i in ids if str(i).isdigit()]
        return ModelView.action_delete(self, ids)

    action_delete._action = ModelView.action_delete._action   # the same action (name, label, question)

    def handle_view_exception(self, exc):
        """A clear Chinese message for every database refusal; never the SQL text."""
        if isinstance(exc, OrganisationInUse):
            flash(str(exc), "error")
            return True
        if isinstance(exc, IntegrityError):
            flash(DUPLICATE_MESSAGE, "error")
            return True
        if isinstance(exc, SQLAlchemyError):
            flash(DATABASE_MESSAGE, "error")
            return True
        return super().handle_view_exception(exc)

    # Every change of dictionaries, units and texts leaves an audit row in the
    # same transaction (等保 level 3).
    def _on_model_change(self, form, model, is_created):
        super()._on_model_change(form, model, is_created)
        db.session.flush()
        key = getattr(model, "id", None) or getattr(model, "key", "")
        record(f"{self.endpoint}.{'create' if is_created else 'update'}", f"{self.endpoint}:{key}",
               after={name: str(field.data)[:500] for name, field in form._fields.items()
                      if name != "csrf_token"})

    def on_model_delete(self, model):
        super().on_model_delete(model)
        record(f"{self.endpoint}.delete", f"{self.endpoint}:{getattr(model, 'id', getattr(model, 'key', ''))}",
               before={"name": str(model)})


class DictItemView(SecuredModelView):
    column_list = ["kind", "code", "name", "parent_code", "sort_order", "active"]
    column_labels = {"kind": "字典", "code": "代码", "name": "名称", "parent_code": "上级代码", "note": "备注",
                     "sort_order": "排序", "active": "启用"}
    column_filters = ["kind", "active"]
    column_searchable_list = ["name", "code"]
    column_formatters = {"kind": lambda v, c, m, p: DICTIONARY_KINDS.get(m.kind, m.kind)}
    column_default_sort = [("kind", False), ("sort_order", False)]
    form_overrides = {"kind": SelectField}
    form_args = {"kind": {"choices": list(DICTIONARY_KINDS.items()), "label": "字典"}}


class TitleSeriesView(SecuredModelView):
    column_list = ["code", "name", "special_page", "sort_order", "active"]
    column_labels = {"code": "代码", "name": "系列名称", "special_page": "专用信息页", "sort_order": "排序",
                     "active": "启用"}
    column_searchable_list = ["name", "code"]
    column_formatters = {"special_page": lambda v, c, m, p: SPECIAL_PAGES.get(m.special_page, "无")}
    form_overrides = {"special_page": SelectField}
    form_args = {"special_page": {"choices": [("", "无")] + list(SPECIAL_PAGES.items()), "label": "专用信息页",
                                  "description": "该系列申报时额外填写的信息页"}}
    column_default_sort = "sort_order"

    def on_model_change(self, form, model, is_created):
        model.special_page = model.special_page or None


class TitleLevelView(SecuredModelView):
    column_list = ["code", "name", "parent", "sort_order", "active"]
    column_labels = {"code": "代码", "name": "级别名称", "parent": "上级", "sort_order": "排序", "active": "启用"}
    column_default_sort = "sort_order"


class TitleNameView(SecuredModelView):
    column_list = ["code", "name", "series", "level", "active"]
    column_labels = {"code": "代码", "name": "资格名称", "series": "专业技术系列", "level": "专业技术级别",
                     "active": "启用"}
    column_searchable_list = ["name", "code"]
    column_filters = ["series.name", "level.name", "active"]
    column_default_sort = "code"


class OrganisationView(SecuredModelView):
    column_list = ["name", "kind", "parent", "credit_code", "active"]
    column_labels = {"name": "名称", "kind": "类型", "parent": "上级", "credit_code": "统一社会信用代码",
                     "contact_person": "联系人", "contact_phone": "联系电话", "active": "启用",
                     "created_at": "创建时间", "series": "评审系列", "levels": "评审级别", "children": "下级"}
    column_searchable_list = ["name", "credit_code"]
    column_filters = ["kind", "active"]
    column_formatters = {"kind": lambda v, c, m, p: ORG_KINDS.get(m.kind, m.kind)}
    list_template = "admin_org/list.html"
    column_extra_row_actions = [EndpointLinkRowAction("fa fa-compress", ".merge_view", title="合并到其他机构",
                                                      id_arg="org_id")]
    form_columns = ["name", "kind", "parent", "credit_code", "contact_person", "contact_phone", "series", "levels",
                    "active"]
    form_overrides = {"kind": SelectField}
    form_args = {
        "kind": {"choices": list(ORG_KINDS.items()), "label": "类型"},
        "series": {"description": "仅评委会填写：该评委会评审的专业技术系列"},
        "levels": {"description": "仅评委会填写：该评委会评审的级别"},
    }
    form_ajax_refs = {"parent": {"fields": ("name",), "page_size": 20, "placeholder": "输入名称片段查找上级机构"}}

    @staticmethod
    def _errors(kind, parent, credit_code) -> dict:
        """The unit rules (allowed parent, 统一社会信用代码), field name → message."""
        errors = {}
        parent_kind = parent.kind if parent else None
        if kind in ALLOWED_PARENTS and parent_kind not in ALLOWED_PARENTS[kind]:
            allowed = "、".join(ORG_KINDS[k] if k else "无上级" for k in ALLOWED_PARENTS[kind])
            errors["parent"] = f"{ORG_KINDS[kind]}的上级只能是：{allowed}"
        code = (credit_code or "").strip().upper()
        if code and credit_code_error(code):
            errors["credit_code"] = credit_code_error(code)
        return errors

    def validate_form(self, form):
        """Every wrong field at once, each beside its field (the rules too, not only WTForms')."""
        valid = super().validate_form(form)
        if not hasattr(form, "kind") or request.method != "POST":
            return valid
        errors = self._errors(form.kind.data, form.parent.data, form.credit_code.data)
        for name, message in errors.items():
            getattr(form, name).errors = [*getattr(form, name).errors, message]
        return valid and not errors

    def on_model_change(self, form, model, is_created):
        model.name = normalise_text(model.name)
        model.credit_code = (model.credit_code or "").strip().upper() or None
        errors = self._errors(model.kind, model.parent, model.credit_code)
        if errors:
            raise ValidationError(next(iter(errors.values())))
        if model.kind != "committee":
            model.series, model.levels = [], []

    @expose("/tree/")
    def tree_view(self):
        """职称办 → 主管部门 → 工作单位 (and 评委会), as a tree."""
        return self.render("admin_org/tree.html",
                           rows=tree(db.session.scalars(select(Organisation))))

    @expose("/merge/<int:org_id>", methods=("GET", "POST"))
    def merge_view(self, org_id):
        """合并: move everything of one organisation to another of the same kind (M1)."""
        source = db.session.get(Organisation, org_id) or abort(404)
        targets = merge_targets(source)
        error = ""
        if request.method == "POST":
            raw = request.form.get("target", "")
            target = db.session.get(Organisation, int(raw)) if raw.isdigit() and len(raw) < 10 else None
            if target is None:
                error = "请选择合并到的机构"
            else:
                try:
                    moved = merge(source, target)
                except OrganisationInUse as exc:
                    db.session.rollback()
                    error = str(exc)
                else:
                    flash(f"已将“{source.name}”合并到“{target.name}”（移动申报{moved.declarations}份、账号{moved.accounts}个、"
                          f"下级机构{moved.children}个），原机构已停用。", "success")
                    return redirect(url_for(".tree_view"))
        return self.render("admin_org/merge.html", source=source, targets=targets, error=error,
                           used=usage(db.session, source.id))


class SiteTextView(SecuredModelView):
    can_create = False
    can_delete = False
    column_list = ["title", "updated_at"]
    column_labels = {"key": "标识", "title": "标题", "body": "正文", "updated_at": "更新时间"}
    form_columns = ["title", "body"]
    form_widget_args = {"body": {"rows": 20}}


class StepTimeLimitView(SecuredModelView):
    """处理时限: working days per review step (#14)."""
    can_create = False
    can_delete = False
    column_list = ["status", "working_days"]
    column_labels = {"status": "审核环节", "working_days": "处理时限（工作日）"}
    column_formatters = {"status": lambda v, c, m, p: _status_label(m.status)}
    form_columns = ["working_days"]
    form_args = {"working_days": {"validators": [NumberRange(1, 365, "处理时限应为1至365个工作日")]}}


def _status_label(status: str) -> str:
    from app.review.workflow import STATUS_LABELS

    return STATUS_LABELS.get(status, status)


def init_admin(app) -> Admin:
    admin = Admin(
        app,
        name="后台管理",
        url="/admin",
        index_view=IndexView(name="首页", url="/admin"),
        theme=Bootstrap4Theme(base_template="admin_base.html"),
        translations_path=str(Path(app.root_path) / "translations"),
        csp_nonce_generator=csp_nonce,
    )
    admin.add_view(OrganisationView(Organisation, db, name="机构", endpoint="fa_organisation"))
    admin.add_view(DictItemView(DictItem, db, name="代码字典", category="字典", endpoint="fa_dict_item"))
    admin.add_view(TitleSeriesView(TitleSeries, db, name="专业技术系列", category="字典", endpoint="fa_series"))
    admin.add_view(TitleLevelView(TitleLevel, db, name="专业技术级别", category="字典", endpoint="fa_level"))
    admin.add_view(TitleNameView(TitleName, db, name="资格名称", category="字典", endpoint="fa_title"))
    admin.add_view(SiteTextView(SiteText, db, name="协议与文本", endpoint="fa_site_text"))
    admin.add_view(StepTimeLimitView(StepTimeLimit, db, name="处理时限", endpoint="fa_step_time_limit"))
    return admin
