"""What every generated (Flask-AppBuilder) CRUD screen of ours shares."""
from flask_appbuilder.fields import QuerySelectField
from wtforms.fields.core import UnboundField


class ChineseFormsMixin:
    """FAB's generated selects offer an empty choice labelled "__None" for
    optional relations; label it in Chinese instead."""

    blank_choice_text = "请选择"

    def _init_forms(self):
        super()._init_forms()
        for form in (self.add_form, self.edit_form):
            for name in dir(form):
                field = getattr(form, name, None)
                if isinstance(field, UnboundField) and issubclass(field.field_class, QuerySelectField):
                    field.kwargs.setdefault("blank_text", self.blank_choice_text)
