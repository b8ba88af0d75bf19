"""The declaration's sections (PRODUCT §3, manual 1.1.2), described once.

`fields.py` holds the field types, `registry.py` the sections with their
fields, limits, conditions, attachments and rules. Tables, forms, tabs,
lists, the completeness check and the printouts are all made from it:
adding a field or a section is one edit in registry.py (plus a migration).
"""
from app.sections.registry import BY_KEY, SECTIONS, Section, applicable_sections

__all__ = ["BY_KEY", "SECTIONS", "Section", "applicable_sections"]
