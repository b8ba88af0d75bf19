"""What every generated (Flask-AppBuilder) CRUD screen of ours shares."""
from flask_appbuilder.fields import QuerySelectField
from wtforms.fields.core import UnboundField

from app.platform.audit import record
from app.platform.extensions import db


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
