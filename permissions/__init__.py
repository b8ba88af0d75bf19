"""Who may do what: roles as data (roles.py), the security manager that
applies them (security.py) and the organisation scope rules (scopes.py)."""
