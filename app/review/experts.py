"""专家库 (W9): a committee's experts, each with a sign-in of the role 评审专家."""
from __future__ import annotations

import secrets
import string

from flask import current_app
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from app.platform.audit import record
from app.platform.extensions import db
from app.review.meetings import FieldErrors, Refused
from models import Account, Expert, Organisation, clock, expert_committee
from models.identity import normalise_text, phone_error
from permissions.roles import EXPERT_ROLE


def pool(committee_id: int) -> list[Expert]:
    return db.session.scalars(select(Expert).join(expert_committee).where(
        expert_committee.c.organisation_id == committee_id).order_by(Expert.series, Expert.major, Expert.id)).all()


def temporary_password() -> str:
    alphabet = string.ascii_letters + string.digits
    return secrets.choice(string.ascii_letters) + "".join(secrets.choice(alphabet) for _ in range(10)) + \
        secrets.choice(string.digits)


def add_expert(user, form: dict) -> tuple[Expert, str]:
    """Add an expert to the committee of `user` with an account; returns the
    expert and a temporary password (shown once; changed at first sign-in).
    An expert already in the pool of another committee is joined by 账号."""
    values = {k: normalise_text(form.get(k))[:100] for k in
              ("username", "name", "unit_id", "series", "major", "title", "phone")}
    errors = {}
    for key, label in (("username", "账号"), ("name", "姓名"), ("series", "专业技术系列"), ("major", "专业"),
                       ("title", "职称")):
        if not values[key]:
            errors[key] = f"请填写{label}"
    unit = db.session.get(Organisation, int(values["unit_id"])) if values["unit_id"].isdigit() else None
    if unit is None or unit.kind != "unit":
        errors["unit_id"] = "请选择工作单位"
    if values["phone"] and phone_error(values["phone"]):
        errors["phone"] = phone_error(values["phone"])
    if values["username"] and db.session.scalar(select(Account.id).where(Account.username == values["username"])):
        errors["username"] = "该账号已存在"
    if values["phone"] and db.session.scalar(select(Account.id).where(Account.phone_is(values["phone"]))):
        errors["phone"] = "该手机号已被其他账号使用"
    if errors:
        raise ExpertFormError(errors)
    password = temporary_password()
    sm = current_app.appbuilder.sm
    committee = db.session.get(Organisation, user.org_id)
    account = Account(username=values["username"], first_name=values["name"], last_name="",
                      email=f"{values['username'].lower()}@expert.invalid", active=True,
                      password=generate_password_hash(password, method=current_app.config["FAB_PASSWORD_HASH_METHOD"]),
                      roles=[sm.find_role(EXPERT_ROLE)], phone=values["phone"] or None, must_change_password=True,
                      password_changed_at=clock.now())
    expert = Expert(account=account, name=values["name"], unit=unit, unit_name=unit.name, series=values["series"],
                    major=values["major"][:50], title=values["title"][:50], phone=values["phone"] or None,
                    available=True, committees=[committee])
    db.session.add(expert)
    db.session.flush()
    record("expert.add", f"expert:{expert.id}", after={"name": expert.name, "unit": unit.name})
    db.session.commit()
    return expert, password


class ExpertFormError(FieldErrors):
    """The expert form's wrong fields."""


def set_available(user, expert_id: int, available: bool) -> Expert:
    expert = db.session.scalar(select(Expert).join(expert_committee).where(
        Expert.id == expert_id, expert_committee.c.organisation_id == user.org_id))
    if expert is None:
        raise Refused("专家不存在")
    expert.available = available
    record("expert.available", f"expert:{expert.id}", after={"available": available})
    db.session.commit()
    return expert
