"""One table per section, made from the registry (app/sections/registry.py):
a column per stored field, the owning declaration, and for rows sections
their order. `section.model` is set here for every section."""

from flask_appbuilder import Model
from sqlalchemy import Column, ForeignKey, Integer

from models.clock import AwareDateTime, now
from models.registry import SECTIONS
from models.registry.fields import RefField


def _class_name(key: str) -> str:
    return "Section" + "".join(part.title() for part in key.split("_"))


def make_model(section):
    columns = {
        "__tablename__": section.table,
        "__doc__": f"{section.title} (one {'row' if section.many else 'page'} of a declaration)",
        "id": Column(Integer, primary_key=True),
        "declaration_id": Column(Integer, ForeignKey("declaration.id", ondelete="CASCADE"), nullable=False,
                                 index=True, unique=not section.many),
        "created_at": Column(AwareDateTime, nullable=False, default=now),
        "updated_at": Column(AwareDateTime, nullable=False, default=now, onupdate=now),
    }
    if section.many:
        columns["position"] = Column(Integer, nullable=False, default=0)
    for field in section.stored_fields:
        args = [field.foreign_key()] if isinstance(field, RefField) else []
        columns[field.name] = Column(field.column(), *args, comment=field.label)
    return type(_class_name(section.key), (Model,), columns)


for _section in SECTIONS:
    _section.model = make_model(_section)

SECTION_MODELS = {s.key: s.model for s in SECTIONS}
