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
#: reads and exports the audit trail only; separate from the system
#: administrator (三员分立, 等保 level 3)
AUDITOR_ROLE = "审计管理员"
#: a member of the 专家库 (W9): sees only the declarations assigned to them
EXPERT_ROLE = "评审专家"
#: not a role anyone holds: the steps taken by the schedule (逾期未补正)
SYSTEM_ROLE = "系统"

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
    APPLICANT_ROLE: _EVERYONE + _DECLARING + [("CertificateView", ["can_certificate"])],
    UNIT_ROLE: _EVERYONE + _REVIEWING,
    DEPARTMENT_ROLE: _EVERYONE + _REVIEWING + _UNIT_MAINTENANCE,
    COMMITTEE_ROLE: _EVERYONE + _REVIEWING + [("答辩安排", ["menu_access"])] + [
        ("MeetingView", ["can_meetings"]), ("评审会议", ["menu_access"])],
    OFFICE_ROLE: _EVERYONE + _REVIEWING + _UNIT_MAINTENANCE + _YEARS + [
        ("PublicityAdminView", ["can_publicity"]), ("公示与证书", ["menu_access"]),
        ("CertificateView", ["can_certificate"])],
    PUBLIC_ROLE: [],
    AUDITOR_ROLE: [("HomeView", ["can_index"]), ("AccountView", ["can_password"]),
                   ("AuditView", ["can_list", "can_export"]), ("安全审计", ["menu_access"]),
                   ("审计日志", ["menu_access"])],
    # 我的消息 tells an expert they were drawn (the meeting's date and place)
    EXPERT_ROLE: _EVERYONE + [("ExpertView", ["can_expert"]), ("评审任务", ["menu_access"]),
                              ("MessageView", ["can_index"]), ("我的消息", ["menu_access"]),
                              ("专业技术", ["menu_access"])],
}

#: the audit trail is not the system administrator's to read (三员分立)
AUDITOR_ONLY = [("AuditView", "can_list"), ("AuditView", "can_export"), ("审计日志", "menu_access"),
                ("安全审计", "menu_access")]
# 统计分析, 我的消息 for reviewers (time-limit reminders), the REST API and its
# documentation for every reviewer; 通知公告 for the title office (#14)
_INSIGHT = [
    ("StatisticsView", ["can_statistics"]),
    ("统计分析", ["menu_access"]),
    ("MessageView", ["can_index"]),
    ("我的消息", ["menu_access"]),
    ("DeclarationApi", ["can_get", "can_post"]),
    ("OpenApi", ["can_get"]),
    ("ApiDocsView", ["can_docs"]),
]
_NOTICES = [
    ("AnnouncementView", ["can_list", "can_show", "can_add", "can_edit", "can_delete"]),
    ("通知公告", ["menu_access"]),
]
for _role in (UNIT_ROLE, DEPARTMENT_ROLE, COMMITTEE_ROLE, OFFICE_ROLE):
    ROLE_PERMISSIONS[_role] = ROLE_PERMISSIONS[_role] + _INSIGHT
ROLE_PERMISSIONS[OFFICE_ROLE] = ROLE_PERMISSIONS[OFFICE_ROLE] + _NOTICES
for _role in (APPLICANT_ROLE, UNIT_ROLE, DEPARTMENT_ROLE, COMMITTEE_ROLE, OFFICE_ROLE):
    ROLE_PERMISSIONS[_role] = ROLE_PERMISSIONS[_role] + [("帮助", ["menu_access"])]

#: the administrator role receives every permission; these belong to the
#: applicant's own pages and are taken away from it (administrators do not declare)
APPLICANT_ONLY = [(view, perm) for view, perms in _DECLARING for perm in perms]

#: applicants' data and the work on it: declarations, their files (ID-card
#: scans), printouts, exports, the committee's and the title office's screens,
#: statistics and the API. The administrator role receives every permission
#: but these (least privilege): it manages accounts, units and settings.
APPLICANTS_DATA = [
    ("ReviewView", "can_review"), ("申报审核", "menu_access"), ("待审核申报", "menu_access"),
    ("答辩安排", "menu_access"), ("MeetingView", "can_meetings"), ("评审会议", "menu_access"),
    ("PublicityAdminView", "can_publicity"), ("公示与证书", "menu_access"), ("CertificateView", "can_certificate"),
    ("ExpertView", "can_expert"), ("评审任务", "menu_access"), ("StatisticsView", "can_statistics"),
    ("统计分析", "menu_access"), ("DeclarationApi", "can_get"), ("DeclarationApi", "can_post"),
    ("OpenApi", "can_get"), ("ApiDocsView", "can_docs"), ("PrintView", "can_print"),
    ("AttachmentView", "can_file"), ("职称管理", "menu_access"),
]

#: who may see full ID numbers and phones in lists and exports (B8); everyone
#: else sees 1201**********123X and 138****5678
FULL_IDENTIFIER_ROLES = (OFFICE_ROLE,)

#: 三员分立 (等保 level 3): these roles are never held by one account. The system
#: administrator also keeps accounts and roles here (the security administrator's
#: duties); a separate security administrator role, once added, belongs in this list.
SEPARATED_ROLES = (ADMIN_ROLE, AUDITOR_ROLE)
SEPARATION_MESSAGE = "管理员与审计管理员不能由同一账号兼任（三员分立），请只选择其中一个角色"
OWN_ROLES_MESSAGE = "不能修改自己的角色，请由其他管理员修改"


def separation_error(role_names) -> str | None:
    """The message when `role_names` join roles that must stay apart, else None."""
    return SEPARATION_MESSAGE if len(set(role_names) & set(SEPARATED_ROLES)) > 1 else None


# The order in which a person holding several roles is described.
ROLE_ORDER = (ADMIN_ROLE, AUDITOR_ROLE, OFFICE_ROLE, COMMITTEE_ROLE, DEPARTMENT_ROLE, UNIT_ROLE, APPLICANT_ROLE,
              EXPERT_ROLE)


def _fab_roles(table):
    return {
        role: [[f"^{re.escape(view)}$", "^(" + "|".join(map(re.escape, perms)) + ")$"] for view, perms in rows]
        for role, rows in table.items()
    }


BUILTIN_ROLES = _fab_roles(ROLE_PERMISSIONS)
