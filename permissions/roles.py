"""The roles of PRODUCT §1, written once as data.

Each role lists the views it may open and the permissions it has on them.
`BUILTIN_ROLES` turns the table into Flask-AppBuilder's `FAB_ROLES` format
(anchored regular expressions, checked in memory without a query). The
administrator is a database role that receives every permission.
"""
from __future__ import annotations

import re

APPLICANT_ROLE = "申报人"
UNIT_ROLE = "单位审核"
DEPARTMENT_ROLE = "主管部门"
COMMITTEE_ROLE = "评委会"
OFFICE_ROLE = "职称办"
ADMIN_ROLE = "管理员"
PUBLIC_ROLE = "未登录访客"

# Organisation kind each reviewer role acts for (a reviewer belongs to
# exactly one node of that kind).
ROLE_ORG_KIND = {
    UNIT_ROLE: "unit",
    DEPARTMENT_ROLE: "department",
    COMMITTEE_ROLE: "committee",
    OFFICE_ROLE: "bureau",
}

_EVERYONE = [
    ("HomeView", ["can_index"]),
    ("AccountView", ["can_password"]),
    ("OrganisationSearchView", ["can_search"]),
    ("AttachmentView", ["can_file"]),
    ("PrintView", ["can_print"]),
]
_REVIEWING = [
    ("ReviewView", ["can_review"]),
    ("申报审核", ["menu_access"]),
    ("待审核申报", ["menu_access"]),
]
_UNIT_MAINTENANCE = [
    ("UnitView", ["can_list", "can_show", "can_add", "can_edit"]),
    ("单位管理", ["menu_access"]),
    ("工作单位", ["menu_access"]),
    ("单位树", ["menu_access"]),
]

_DECLARING = [
    ("DeclarationView", ["can_declare"]),
    ("MessageView", ["can_index"]),
    ("专业技术", ["menu_access"]),
    ("个人信息申报", ["menu_access"]),
    ("我的消息", ["menu_access"]),
]
_YEARS = [
    ("DeclarationYearView", ["can_list", "can_show", "can_add", "can_edit"]),
    ("申报年度设置", ["menu_access"]),
]

ROLE_PERMISSIONS: dict[str, list[tuple[str, list[str]]]] = {
    APPLICANT_ROLE: _EVERYONE + _DECLARING,
    UNIT_ROLE: _EVERYONE + _REVIEWING,
    DEPARTMENT_ROLE: _EVERYONE + _REVIEWING + _UNIT_MAINTENANCE,
    COMMITTEE_ROLE: _EVERYONE + _REVIEWING + [("答辩安排", ["menu_access"])],
    OFFICE_ROLE: _EVERYONE + _REVIEWING + _UNIT_MAINTENANCE + _YEARS,
    PUBLIC_ROLE: [],
}

#: the administrator role receives every permission; these belong to the
#: applicant's own pages and are taken away from it (administrators do not declare)
APPLICANT_ONLY = [(view, perm) for view, perms in _DECLARING for perm in perms]

#: who may see full ID numbers and phones in lists and exports (B8); everyone
#: else sees 1201**********123X and 138****5678
FULL_IDENTIFIER_ROLES = (OFFICE_ROLE,)

# The order in which a person holding several roles is described.
ROLE_ORDER = (ADMIN_ROLE, OFFICE_ROLE, COMMITTEE_ROLE, DEPARTMENT_ROLE, UNIT_ROLE, APPLICANT_ROLE)


def _fab_roles(table):
    return {
        role: [[f"^{re.escape(view)}$", "^(" + "|".join(map(re.escape, perms)) + ")$"] for view, perms in rows]
        for role, rows in table.items()
    }


BUILTIN_ROLES = _fab_roles(ROLE_PERMISSIONS)
