"""Data: the national-standard dictionaries (CSV files beside this module), seeding them, and the demo data.
May import app.platform, permissions and models; never app.accounts, app.declaration, app.review, reports or views."""
