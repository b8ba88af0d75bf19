"""Insight: statistics of the declarations within a person's scope, 通知公告, and the reviewers' time limits with
their daily reminder. May import app.review, app.declaration, app.platform, permissions and models; never
app.accounts, app.data, reports or views."""
