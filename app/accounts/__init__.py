"""Accounts: login with lock-out, registration, passwords, captcha, SMS codes, server-side sessions.
May import app.platform, permissions and models; never app.declaration, app.review, reports or views."""
