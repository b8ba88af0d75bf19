"""Demo data for `make run`: a small organisation tree and one account for
every role. Never loaded in production (see `flask demo`)."""
from __future__ import annotations

from datetime import date, timedelta
from functools import cache

from flask import current_app
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from app.platform.extensions import db
from models import clock
from models import (
    Account,
    DeclarationYear,
    Expert,
    Meeting,
    Organisation,
    ReviewGroup,
    TitleLevel,
    TitleSeries,
)
from models.user import applicant_username
from permissions.roles import (
    ADMIN_ROLE,
    APPLICANT_ROLE,
    AUDITOR_ROLE,
    COMMITTEE_ROLE,
    DEPARTMENT_ROLE,
    EXPERT_ROLE,
    OFFICE_ROLE,
    UNIT_ROLE,
)

DEMO_PASSWORD = "Demo2026"  # nosec B105 - the documented demo password; `flask demo` refuses production
BUREAU = "天津市人力资源和社会保障局职称办"

# (name, kind, parent name)
ORGANISATIONS = [
    (BUREAU, "bureau", None),
    ("天津市工业和信息化局", "department", BUREAU),
    ("天津市卫生健康委员会", "department", BUREAU),
    ("天津市教育委员会", "department", BUREAU),
    ("天津百利机械装备集团有限公司", "unit", "天津市工业和信息化局"),
    ("天津市第一机床厂有限公司", "unit", "天津市工业和信息化局"),
    ("天津市第一中心医院", "unit", "天津市卫生健康委员会"),
    ("天津市第一中学", "unit", "天津市教育委员会"),
    ("天津医科大学总医院", "unit", "天津市卫生健康委员会"),
    ("天津市南开中学", "unit", "天津市教育委员会"),
    ("天津市职业技能公共实训中心", "unit", BUREAU),
    ("天津市工程技术高级评委会", "committee", BUREAU),
    ("天津市卫生技术高级评委会", "committee", BUREAU),
    ("天津市中小学教师高级评委会", "committee", BUREAU),
]
COMMITTEE_SCOPE = {
    "天津市工程技术高级评委会": (["05"], ["11", "12"]),
    "天津市卫生技术高级评委会": (["04"], ["11", "12"]),
    "天津市中小学教师高级评委会": (["25"], ["11", "12"]),
}

# (username, name, role, organisation, id number, phone)
ACCOUNTS = [
    ("120101199003070013", "张明", APPLICANT_ROLE, None, "120101199003070013", "13800000001"),
    ("baili_hr", "李静", UNIT_ROLE, "天津百利机械装备集团有限公司", None, "13800000002"),
    ("gxj_zc", "王强", DEPARTMENT_ROLE, "天津市工业和信息化局", None, "13800000003"),
    ("gc_pwh", "赵敏", COMMITTEE_ROLE, "天津市工程技术高级评委会", None, "13800000004"),
    ("ws_pwh", "孙倩", COMMITTEE_ROLE, "天津市卫生技术高级评委会", None, "13800000007"),
    ("jy_pwh", "周航", COMMITTEE_ROLE, "天津市中小学教师高级评委会", None, "13800000008"),
    ("yy_hr", "吴洁", UNIT_ROLE, "天津市第一中心医院", None, "13800000010"),
    ("wjw_zc", "郑宇", DEPARTMENT_ROLE, "天津市卫生健康委员会", None, "13800000011"),
    ("yz_hr", "冯丽", UNIT_ROLE, "天津市第一中学", None, "13800000012"),
    ("jw_zc", "褚涛", DEPARTMENT_ROLE, "天津市教育委员会", None, "13800000013"),
    ("zcb", "陈刚", OFFICE_ROLE, BUREAU, None, "13800000005"),
    ("admin", "系统管理员", ADMIN_ROLE, None, None, "13800000006"),
    ("audit", "审计员", AUDITOR_ROLE, None, None, "13800000009"),
]


# 专家库 of each committee (W9): (username, name, unit, 职称, phone). 刘洋 works at 张明's unit, so he is
# recused from 张明's declaration and never drawn for a group holding it; 高峰 and 邓红 likewise work at the
# demo hospital and school.
EXPERT_COMMITTEE = "天津市工程技术高级评委会"
ENGINEERING_EXPERTS = [
    ("zj_wanglei", "王磊", "天津市第一机床厂有限公司", "正高级工程师", "13900000001"),
    ("zj_lina", "李娜", "天津市第一机床厂有限公司", "正高级工程师", "13900000002"),
    ("zj_zhangwei", "张伟", "天津市职业技能公共实训中心", "正高级工程师", "13900000003"),
    ("zj_liuf", "刘芳", "天津市职业技能公共实训中心", "高级工程师", "13900000004"),
    ("zj_chenjie", "陈杰", "天津市第一中心医院", "正高级工程师", "13900000005"),
    ("zj_yangmin", "杨敏", "天津市第一中学", "正高级工程师", "13900000006"),
    ("zj_liuyang", "刘洋", "天津百利机械装备集团有限公司", "正高级工程师", "13900000007"),
]
HEALTH_EXPERTS = [
    ("zj_hanxue", "韩雪", "天津医科大学总医院", "主任医师", "13900000021"),
    ("zj_caolin", "曹林", "天津医科大学总医院", "主任医师", "13900000022"),
    ("zj_xuhui", "许辉", "天津医科大学总医院", "主任医师", "13900000023"),
    ("zj_pengli", "彭莉", "天津医科大学总医院", "副主任医师", "13900000024"),
    ("zj_gaofeng", "高峰", "天津市第一中心医院", "主任医师", "13900000025"),
]
TEACHER_EXPERTS = [
    ("zj_luoping", "罗平", "天津市南开中学", "正高级教师", "13900000031"),
    ("zj_tangjing", "唐静", "天津市南开中学", "正高级教师", "13900000032"),
    ("zj_songbo", "宋波", "天津市南开中学", "正高级教师", "13900000033"),
    ("zj_hejun", "何军", "天津市南开中学", "高级教师", "13900000034"),
    ("zj_denghong", "邓红", "天津市第一中学", "正高级教师", "13900000035"),
]
# committee: (series, 专业, meeting name, group name, its experts)
EXPERT_POOLS = {
    EXPERT_COMMITTEE: ("05", "机械工程", "工程技术高级评审会议", "机械组", ENGINEERING_EXPERTS),
    "天津市卫生技术高级评委会": ("04", "内科学", "卫生技术高级评审会议", "内科组", HEALTH_EXPERTS),
    "天津市中小学教师高级评委会": ("25", "中学数学", "中小学教师高级评审会议", "数学组", TEACHER_EXPERTS),
}
EXPERTS = [row for *_, experts in EXPERT_POOLS.values() for row in experts]


@cache
def _demo_hash(method: str) -> str:
    """One hash of the demo password for the expert accounts (hashing is slow on purpose)."""
    return generate_password_hash(DEMO_PASSWORD, method=method)


def load_experts(orgs: dict, method: str) -> list[tuple[str, str, str, str]]:
    """Each committee's expert pool and one meeting being prepared, with one 评审组."""
    role = current_app.appbuilder.sm.find_role(EXPERT_ROLE)
    rows = []
    year = clock.today().year
    for committee_name, (series, major, meeting_name, group_name, experts) in EXPERT_POOLS.items():
        committee = orgs[committee_name]
        for username, name, unit, title, phone in experts:
            if db.session.scalar(select(Account.id).where(Account.username == username)) is None:
                account = Account(username=username, first_name=name, last_name="",
                                  email=f"{username}@example.com", active=True, password=_demo_hash(method),
                                  roles=[role], phone=phone, password_changed_at=clock.now())
                db.session.add(Expert(account=account, name=name, unit=orgs[unit], unit_name=unit, series=series,
                                      major=major, title=title, phone=phone, available=True,
                                      committees=[committee]))
            rows.append((EXPERT_ROLE, username, DEMO_PASSWORD, f"{unit}（{committee_name}专家）"))
        if db.session.scalar(select(Meeting.id).where(Meeting.committee_id == committee.id)) is None:
            meeting = Meeting(committee=committee, year=year, name=f"{year}年度{meeting_name}",
                              held_on=clock.today() + timedelta(days=7), place="天津市人力资源和社会保障局三楼会议室",
                              threshold=2 / 3)
            db.session.add(ReviewGroup(meeting=meeting, name=group_name, series=series, major=major,
                                       size=len(experts) - 1))
    return rows


def load_demo() -> list[tuple[str, str, str, str]]:
    """Create what is missing; return (role, username, password, organisation) rows."""
    orgs = {o.name: o for o in db.session.scalars(select(Organisation))}
    for name, kind, parent in ORGANISATIONS:
        if name not in orgs:
            orgs[name] = Organisation(name=name, kind=kind, parent=orgs.get(parent))
            db.session.add(orgs[name])
    for name, (series_codes, level_codes) in COMMITTEE_SCOPE.items():
        committee = orgs[name]
        if not committee.series:
            committee.series = list(db.session.scalars(select(TitleSeries).where(TitleSeries.code.in_(series_codes))))
            committee.levels = list(db.session.scalars(select(TitleLevel).where(TitleLevel.code.in_(level_codes))))

    year = clock.today().year
    if db.session.scalar(select(DeclarationYear.id).where(DeclarationYear.year == year)) is None:
        db.session.add(DeclarationYear(year=year, opens_on=date(year, 1, 1), closes_on=date(year, 12, 31),
                                       note="演示数据：全年开放"))

    sm = current_app.appbuilder.sm
    method = current_app.config["FAB_PASSWORD_HASH_METHOD"]
    rows = []
    for username, name, role, org, id_number, phone in ACCOUNTS:
        # An applicant logs in with the ID number; the stored user name is
        # derived from its keyed hash, never the number itself.
        stored = applicant_username(id_number) if id_number else username
        if db.session.scalar(select(Account.id).where(Account.username == stored)) is None:
            db.session.add(Account(
                username=stored, first_name=name, last_name="", email=f"{stored.lower()[:30]}@example.com",
                active=True, password=generate_password_hash(DEMO_PASSWORD, method=method),
                roles=[sm.find_role(role)], org=orgs.get(org), id_number=id_number, phone=phone,
                password_changed_at=clock.now(), agreement_accepted_at=clock.now() if id_number else None,
            ))
        rows.append((role, username, DEMO_PASSWORD, org or "—"))
    rows += load_experts(orgs, method)
    db.session.commit()
    return rows
