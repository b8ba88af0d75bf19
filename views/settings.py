"""申报年度设置 (M4): the title office opens a year from one date to another;
outside that window submission is refused."""
from flask_appbuilder import ModelView
from wtforms.validators import DataRequired, NumberRange, ValidationError

from models import DeclarationYear
from views.base import AuditedMixin, ChineseFormsMixin, SafeInterface


def closes_after_opening(form, field):
    if field.data and form.opens_on.data and field.data < form.opens_on.data:
        raise ValidationError("结束日期不能早于开始日期")


class DeclarationYearView(AuditedMixin, ChineseFormsMixin, ModelView):
    audit_name = "declaration_year"
    datamodel = SafeInterface(DeclarationYear)
    route_base = "/years"
    base_permissions = ["can_list", "can_show", "can_add", "can_edit"]
    base_order = ("year", "desc")
    list_title = show_title = "申报年度设置"
    add_title = "新增申报年度"
    edit_title = "修改申报年度"
    label_columns = {"year": "申报年度", "opens_on": "申报开始日期", "closes_on": "申报结束日期", "note": "说明"}
    list_columns = ["year", "opens_on", "closes_on", "note"]
    add_columns = edit_columns = show_columns = ["year", "opens_on", "closes_on", "note"]
    description_columns = {"closes_on": "含当天；此期间以外申报人不能提交"}
    formatters_columns = {"note": lambda v: v or "—"}
    validators_columns = {
        "year": [DataRequired("请填写申报年度"), NumberRange(2000, 2100, "申报年度应为4位年份")],
        "opens_on": [DataRequired("请选择开始日期")],
        "closes_on": [DataRequired("请选择结束日期"), closes_after_opening],
    }
