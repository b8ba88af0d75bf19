"""The declaration's sections (PRODUCT §3, manual 1.1.2), described once.

`fields.py` holds the field types, `sections.py` the sections with their
fields, limits, conditions, attachments and rules. Tables, forms, tabs,
lists, the completeness check and the printouts are all made from it:
adding a field or a section is one edit in sections.py (plus a migration).
It imports nothing of the application: models/ builds the tables from it.
"""
from models.registry.sections import BY_KEY, SECTIONS, Section, applicable_sections

__all__ = ["BY_KEY", "SECTIONS", "Section", "applicable_sections"]
