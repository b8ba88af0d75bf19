"""What every generated (Flask-AppBuilder) CRUD screen of ours shares."""
import inspect

from flask_appbuilder.fields import QuerySelectField
from wtforms.fields.core import UnboundField


class ChineseFormsMixin:
    """FAB's generated selects offer an empty choice labelled "__None" for
    optional relations; label it in Chinese instead."""

    blank_choice_text = "请选择"
    #: a listed Python property sorted by the column it shows (masked_phone → phone)
    sort_by: dict[str, str] = {}

    def _init_properties(self):
        """FAB offers every listed attribute for sorting, Python properties
        too, and ordering by one fails in SQL (a 500): keep only what SQL can
        order, or what `sort_by` maps to a column."""
        super()._init_properties()
        model = self.datamodel.obj
        self.order_columns = [c for c in self.order_columns if c in self.sort_by
                              or not isinstance(inspect.getattr_static(model, c, None), property)]

    def _get_list_widget(self, filters, order_column="", **kwargs):
        return super()._get_list_widget(filters, order_column=self.sort_by.get(order_column, order_column),
                                        **kwargs)

    def _init_forms(self):
        super()._init_forms()
        for form in (self.add_form, self.edit_form):
            for name in dir(form):
                field = getattr(form, name, None)
                if isinstance(field, UnboundField) and issubclass(field.field_class, QuerySelectField):
                    field.kwargs.setdefault("blank_text", self.blank_choice_text)
