"""The declaration: reading and saving its sections, completeness, attachments and image uploads.
May import app.platform, permissions and models; never app.accounts, app.review, reports or views."""
