"""Units (M1): a 主管部门 creates and edits the units under it; the title
office and administrators maintain all of them. Fuzzy search by any
fragment of a name serves every unit picker."""
from __future__ import annotations

from flask import g, jsonify, request
from flask_appbuilder import BaseView, ModelView, expose, has_access
from flask_appbuilder.models.filters import BaseFilter
from sqlalchemy import bindparam, func, select
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.data.organisations import tree
from app.platform.extensions import db
from app.platform.ratelimit import allow
from models import Organisation
from models.identity import credit_code_error, normalise_id_number, normalise_text
from permissions.roles import DEPARTMENT_ROLE
from permissions.scopes import assignable_parents, maintainable_units, written_in_sql
from views.base import AuditedMixin, ChineseFormsMixin, SafeInterface


class UnitScope(BaseFilter):
    name = "可维护的单位"
    arg_name = "unit_scope"

    def apply(self, query, value):
        return query.filter(maintainable_units(g.user))


class ParentScope(BaseFilter):
    name = "可选的上级"
    arg_name = "parent_scope"

    def apply(self, query, value):
        return query.filter(assignable_parents(g.user))


def valid_credit_code(form, field):
    if field.data:
        field.data = normalise_id_number(field.data)
        error = credit_code_error(field.data)
        if error:
            raise ValidationError(error)


def clean_name(form, field):
    field.data = normalise_text(field.data)
    if not field.data:
        raise ValidationError("请输入单位全称")


class UnitView(AuditedMixin, ChineseFormsMixin, ModelView):
    audit_name = "organisation"
    datamodel = SafeInterface(Organisation)
    route_base = "/units"
    base_permissions = ["can_list", "can_show", "can_add", "can_edit"]
    method_permission_name = {"tree_view": "list"}   # the tree is the list, drawn as a tree
    base_filters = [["id", UnitScope, None]]
    base_order = ("name", "asc")
    list_title = "工作单位"
    show_title = "单位详情"
    add_title = "新增工作单位"
    edit_title = "修改工作单位"

    label_columns = {
        "name": "单位全称",
        "parent": "主管部门",
        "credit_code": "统一社会信用代码",
        "contact_person": "联系人",
        "contact_phone": "联系电话",
        "active": "启用",
        "created_at": "创建时间",
    }
    description_columns = {
        "name": "与公章一致的单位全称，申报人按名称的任意片段搜索选择",
        "parent": "单位的主管部门；直属职称办的单位选择职称办",
        "active": "停用后申报人不能再选择该单位，已有数据保留",
    }
    list_columns = ["name", "parent", "credit_code", "contact_person", "contact_phone", "active"]
    show_columns = ["name", "parent", "credit_code", "contact_person", "contact_phone", "active", "created_at"]
    add_columns = ["name", "parent", "credit_code", "contact_person", "contact_phone"]
    edit_columns = ["name", "parent", "credit_code", "contact_person", "contact_phone", "active"]
    search_columns = ["name", "credit_code", "active"]
    formatters_columns = {
        "active": lambda v: "是" if v else "否",
        **{c: (lambda v: v or "—") for c in ("credit_code", "contact_person", "contact_phone")},
    }
    add_form_query_rel_fields = {"parent": [["id", ParentScope, None]]}
    edit_form_query_rel_fields = add_form_query_rel_fields
    validators_columns = {
        "name": [clean_name, Length(max=100, message="单位全称不能超过100个字")],
        "parent": [DataRequired("请选择主管部门")],
        "credit_code": [Optional(), valid_credit_code],
        "contact_person": [Optional(), Length(max=50, message="联系人不能超过50个字")],
        "contact_phone": [Optional(), Length(max=30, message="联系电话不能超过30个字符")],
    }

    def _own_department_only(self, item):
        # A department always places units under itself, whatever was posted.
        if DEPARTMENT_ROLE in g.user.role_names and not (g.user.role_names - {DEPARTMENT_ROLE}):
            item.parent_id = g.user.org_id
            item.parent = g.user.org
        if item.parent is None or item.parent.kind not in ("department", "bureau"):
            raise ValueError("请选择主管部门")

    @expose("/tree/")
    @has_access
    def tree_view(self):
        """职称办 → 主管部门 → 工作单位: the units this person maintains under their parents."""
        units = list(db.session.scalars(select(Organisation).where(maintainable_units(g.user))))
        shown, parents = {u.id: u for u in units}, {u.parent_id for u in units if u.parent_id}
        while parents - set(shown):
            found = db.session.scalars(select(Organisation).where(Organisation.id.in_(parents - set(shown)))).all()
            shown.update({o.id: o for o in found})
            parents = {o.parent_id for o in found if o.parent_id}
        if g.user.org_id and g.user.org_id not in shown and g.user.org is not None:
            shown[g.user.org_id] = g.user.org            # a department with no unit yet
        return self.render_template("units_tree.html", rows=tree(shown.values()))

    def pre_add(self, item):
        item.kind = "unit"
        self._own_department_only(item)

    def pre_update(self, item):
        item.kind = "unit"
        self._own_department_only(item)


class OrganisationSearchView(BaseView):
    """GET /organisations/search?q=百利 → the matching active units (JSON)."""

    route_base = "/organisations"
    default_view = "search"

    @expose("/search")
    @has_access
    def search(self):
        if not allow("org-search", f"user:{g.user.id}", "120 per minute"):
            return jsonify(results=[], message="操作过于频繁，请稍后再试"), 429
        q = normalise_text(request.args.get("q"))[:50]
        if not q:
            return jsonify(results=[])
        results = search_units(q, limit=20)
        return jsonify(results=[{"id": o.id, "name": o.name} for o in results])


def search_units(fragment: str, limit: int = 20):
    """Active units whose name contains `fragment`, shortest (closest) names
    first, as (id, name) rows."""
    escaped = fragment.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return db.session.execute(_UNITS_MATCHING, {"pattern": f"%{escaped}%", "limit": limit}).all()


# Built once (building it cost more than running it). The active units' names are read in
# this order from their own index (ix_organisation_unit_names) until the page is full. A
# common fragment — the first characters typed, 天津 or 医院 — reads a few dozen names
# instead of sorting thousands of matches; a rare one reads the whole index (about 3 ms for
# 10,000 units: the trigram index found a rare fragment of three characters or more in under
# 1 ms, but could do nothing for one or two, which have no trigram). 'unit' is written into
# the SQL: the index covers that kind only.
_UNITS_MATCHING = (
    select(Organisation.id, Organisation.name)
    .where(Organisation.kind == written_in_sql("unit"), Organisation.active.is_(True),
           Organisation.name.like(bindparam("pattern"), escape="\\"))
    .order_by(func.length(Organisation.name), Organisation.name)
    .limit(bindparam("limit"))
)
