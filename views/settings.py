"""申报年度设置 (M4): the title office opens a year from one date to another;
outside that window submission is refused."""
from flask import request
from flask_appbuilder import ModelView
from wtforms.validators import DataRequired, NumberRange, ValidationError

from app.declaration.data import overlapping_year
from models import DeclarationYear
from views.base import DUPLICATE_MESSAGE, AuditedMixin, ChineseFormsMixin, SafeInterface, UserFacingError

#: when two windows were saved at the same moment, the database refused the second
RACE_MESSAGE = "保存失败：该年度已设置，或申报时间与其他年度重叠（可能有人同时保存），请刷新后重新核对。"


def closes_after_opening(form, field):
    if field.data and form.opens_on.data and field.data < form.opens_on.data:
        raise ValidationError("结束日期不能早于开始日期")


def no_other_year_open(form, field):
    """Windows never overlap: while one year is open no other may be, so an
    applicant's draft of the open year is never replaced by another year's."""
    opens, closes = form.opens_on.data, form.closes_on.data
    if not (opens and closes) or closes < opens:
        return
    pk = (request.view_args or {}).get("pk")
    other = overlapping_year(opens, closes, except_id=int(pk) if pk else None)
    if other is not None:
        raise ValidationError(f"与{other.year}年度的申报时间（{other.opens_on:%Y-%m-%d}至{other.closes_on:%Y-%m-%d}）"
                              f"重叠，同一时间只能开放一个申报年度，请调整日期或先修改{other.year}年度")


class _YearInterface(SafeInterface):
    def _safely(self, write, *args):
        try:
            super()._safely(write, *args)
        except UserFacingError as exc:
            if str(exc) == DUPLICATE_MESSAGE:
                raise UserFacingError(RACE_MESSAGE) from None
            raise


class DeclarationYearView(AuditedMixin, ChineseFormsMixin, ModelView):
    audit_name = "declaration_year"
    datamodel = _YearInterface(DeclarationYear)
    route_base = "/years"
    base_permissions = ["can_list", "can_show", "can_add", "can_edit"]
    base_order = ("year", "desc")
    list_title = show_title = "申报年度设置"
    add_title = "新增申报年度"
    edit_title = "修改申报年度"
    label_columns = {"year": "申报年度", "opens_on": "申报开始日期", "closes_on": "申报结束日期", "note": "说明"}
    list_columns = ["year", "opens_on", "closes_on", "note"]
    add_columns = edit_columns = show_columns = ["year", "opens_on", "closes_on", "note"]
    description_columns = {"closes_on": "含当天；此期间以外申报人不能提交；与其他年度的申报时间不能重叠"}
    formatters_columns = {"note": lambda v: v or "—"}
    validators_columns = {
        "year": [DataRequired("请填写申报年度"), NumberRange(2000, 2100, "申报年度应为4位年份")],
        "opens_on": [DataRequired("请选择开始日期"), no_other_year_open],
        "closes_on": [DataRequired("请选择结束日期"), closes_after_opening],
    }
