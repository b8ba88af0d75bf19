"""What every generated (Flask-AppBuilder) CRUD screen of ours shares."""
import inspect

from flask import abort, g, redirect, url_for
from flask_appbuilder.exceptions import DatabaseException
from flask_appbuilder.fields import QuerySelectField
from flask_appbuilder.models.sqla.interface import SQLAInterface
from markupsafe import Markup
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from wtforms import DateField as WtformsDateField
from wtforms.fields.core import Field, UnboundField
from wtforms.validators import StopValidation
from wtforms.widgets import html_params

from app.data.organisations import OrganisationInUse
from app.platform.audit import record
from app.platform.extensions import db
from app.review.lists import visible_declaration
from models.protected import Encrypted
from models.registry.fields import DATE_IMPOSSIBLE, Invalid, parse_date

#: shown instead of a database's own error text (which names tables and values)
DUPLICATE_MESSAGE = "保存失败：名称、代码或编号与已有记录重复，请修改后再保存。"
DATABASE_MESSAGE = "保存失败：数据不符合要求或已被他人修改，请刷新后重试。"


class DateInput:
    """A text box with the calendar (bootstrap-datepicker, set up in zh.js
    never to rewrite what was typed); it shows what was typed, also when
    that was refused, so nothing is lost."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        kwargs.setdefault("class", "form-control date-input")
        params = html_params(type="text", name=field.name, value=field._value(), placeholder="2027-02-28",
                             autocomplete="off", maxlength="20", data_impossible=DATE_IMPOSSIBLE, **kwargs)
        # fixed markup; html_params escapes every value, what was typed included
        return Markup('<div class="input-group date-field"><span class="input-group-addon">'  # nosec B704 - escaped
                      f'<i class="fa fa-calendar"></i></span><input {params}></div>')


class TypedDateField(Field):
    """A date on a generated form, read by the one date parser
    (models.registry.fields.parse_date, full dates only): 2027-02-30 is
    refused with its message beside the field and stays in the box as typed,
    never saved as another day; an empty box is left to the field's
    required-check."""

    widget = DateInput()

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return self.data.isoformat() if self.data else ""

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        try:
            self.data = parse_date(valuelist[0], month_ok=False)
        except Invalid as exc:
            self.data = None
            raise ValueError(str(exc)) from None

    def pre_validate(self, form):
        if self.process_errors:
            raise StopValidation()   # the parser's message alone, not also "请选择…"


def typed_dates(form) -> None:
    """Every date field Flask-AppBuilder made for a Date column becomes a
    TypedDateField with the same label, description and checks."""
    for name in dir(form):
        field = getattr(form, name, None)
        if isinstance(field, UnboundField) and issubclass(field.field_class, WtformsDateField):
            kwargs = {k: v for k, v in field.kwargs.items() if k not in ("widget", "format")}
            setattr(form, name, UnboundField(TypedDateField, *field.args, name=field.name, **kwargs))


class ChineseFormsMixin:
    """FAB's generated selects offer an empty choice labelled "__None" for
    optional relations; label it in Chinese instead."""

    blank_choice_text = "请选择"
    #: a listed Python property sorted by the column it shows (masked_phone → phone)
    sort_by: dict[str, str] = {}

    def post_add_redirect(self):
        """After 新增, the list the new row joined. FAB goes "back" through one
        page history per session, which other tabs and pages also write:
        people landed on the home page or on another form."""
        return redirect(url_for(f"{self.endpoint}.list"))

    def _init_properties(self):
        """FAB offers every listed attribute for sorting, Python properties
        too, and ordering by one fails in SQL (a 500): keep only what SQL can
        order, or what `sort_by` maps to a column. An encrypted column's order
        means nothing: not offered either."""
        super()._init_properties()
        model = self.datamodel.obj
        self.order_columns = [c for c in self.order_columns if c in self.sort_by
                              or not isinstance(inspect.getattr_static(model, c, None), property)
                              and not _encrypted(model, c)]

    def _get_list_widget(self, filters, order_column="", **kwargs):
        if order_column and order_column not in self.order_columns:
            order_column = ""   # a forged sort (e.g. by an encrypted column) lists in the default order
        return super()._get_list_widget(filters, order_column=self.sort_by.get(order_column, order_column),
                                        **kwargs)

    def _init_forms(self):
        super()._init_forms()
        for form in (self.add_form, self.edit_form):
            typed_dates(form)
            for name in dir(form):
                field = getattr(form, name, None)
                if isinstance(field, UnboundField) and issubclass(field.field_class, QuerySelectField):
                    field.kwargs.setdefault("blank_text", self.blank_choice_text)


def _encrypted(model, name: str) -> bool:
    table = getattr(model, "__table__", None)
    column = table.columns.get(name) if table is not None else None
    return column is not None and isinstance(column.type, Encrypted)


class SafeInterface(SQLAInterface):
    """FAB flashes `str(exception)` when a write fails, which shows the SQL
    statement and values. Raise a Chinese message instead; the details go to
    the log (FAB logs them before re-raising)."""

    def add(self, item, commit=True):
        self._safely(super().add, item, commit)

    def edit(self, item, commit=True):
        self._safely(super().edit, item, commit)

    def delete(self, item, commit=True):
        self._safely(super().delete, item, commit)

    def delete_all(self, items):
        self._safely(super().delete_all, items)

    def _safely(self, write, *args):
        try:
            write(*args)
        except UserFacingError:
            raise
        except (SQLAlchemyError, DatabaseException) as exc:
            self.session.rollback()
            cause = exc.__cause__ if isinstance(exc, DatabaseException) else exc
            if isinstance(cause, OrganisationInUse):
                raise UserFacingError(str(cause)) from None
            if isinstance(cause, IntegrityError):
                raise UserFacingError(DUPLICATE_MESSAGE) from None
            raise UserFacingError(DATABASE_MESSAGE) from None
        except OrganisationInUse as exc:
            self.session.rollback()
            raise UserFacingError(str(exc)) from None


class UserFacingError(Exception):
    """A message meant for the page."""


def visible_or_404(declaration_id: int):
    """The declaration `declaration_id` with its applicant, if the signed-in
    person may open it (the scope rule); otherwise 404, as if it did not exist."""
    return visible_declaration(g.user, declaration_id) or abort(404)


def mark_saved(path: str) -> None:
    """Tell the next page's script that the form of `path` was saved, so the
    draft it keeps in the browser (common.js) is dropped, not restored."""
    from flask import session

    session["draft_saved"] = path
class AuditedMixin:
    """Every administrator change made through a generated screen leaves an
    audit row (等保 level 3): what was created, changed or deleted."""

    audit_name = "record"

    def _audit_state(self, item) -> dict:
        columns = getattr(self, "edit_columns", None) or getattr(self, "add_columns", None) or []
        return {c: getattr(item, c, None) for c in columns if c not in ("password", "conf_password")}

    def post_add(self, item):
        super().post_add(item)
        record(f"{self.audit_name}.create", f"{self.audit_name}:{item.id}", after=self._audit_state(item))
        db.session.commit()

    def post_update(self, item):
        super().post_update(item)
        record(f"{self.audit_name}.update", f"{self.audit_name}:{item.id}", after=self._audit_state(item))
        db.session.commit()

    def pre_delete(self, item):
        super().pre_delete(item)
        record(f"{self.audit_name}.delete", f"{self.audit_name}:{item.id}", before=self._audit_state(item))
