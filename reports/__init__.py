"""Printouts and exports (PRODUCT §5): what goes on paper is built as plain
data first (content.py), then rendered — to PDF through xhtml2pdf with an
embedded CJK font (pdf.py) or to Excel (workbooks.py)."""
