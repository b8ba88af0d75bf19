"""Review: the workflow's states and steps with `perform`, the reviewer's list query, history, notifications, files.
May import app.declaration, app.platform, permissions and models; never reports or views."""
