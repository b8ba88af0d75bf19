"""诚信承诺书 (W14): the applicant confirms the current text before 提交; the
confirmation (time, IP, the text's version and the text) is stored with the
submission and printed on the 评审表."""
from __future__ import annotations

from flask import has_request_context, request
from sqlalchemy import select

from app.declaration.data import dictionaries
from app.platform.extensions import db
from app.review.workflow import InvalidStep
from models import Declaration, PledgeConfirmation, SiteText

KEY = "pledge"


def current_pledge() -> SiteText | None:
    """The text as stored now: what 提交 checks the confirmed version against."""
    return db.session.get(SiteText, KEY)


def to_show():
    """The text shown above 提交: the worker's copy (title, body, updated_at),
    read again as soon as an administrator saves a text."""
    return dictionaries().texts.get(KEY)


def version_of(text) -> str:
    """The version the applicant confirms: when the text last changed."""
    return text.updated_at.strftime("%Y%m%d%H%M%S") if text.updated_at else "1"


def confirm(declaration: Declaration, user, confirmed_version: str | None) -> PledgeConfirmation | None:
    """Add the confirmation to the submitting transaction; refused when not
    ticked, or when the text changed since the page was shown."""
    text = current_pledge()
    if text is None or not text.body.strip():
        return None   # no pledge configured: nothing to confirm
    if not confirmed_version:
        raise InvalidStep("请先阅读并勾选诚信承诺书，再提交")
    if confirmed_version != version_of(text):
        raise InvalidStep("诚信承诺书已更新，请重新阅读并勾选后再提交")
    pledge = PledgeConfirmation(declaration_id=declaration.id, account_id=user.id, text_version=version_of(text),
                                text=text.body, ip=(request.remote_addr or "") if has_request_context() else "")
    db.session.add(pledge)
    return pledge


def latest_confirmation(declaration: Declaration) -> PledgeConfirmation | None:
    return db.session.scalar(select(PledgeConfirmation).where(PledgeConfirmation.declaration_id == declaration.id)
                             .order_by(PledgeConfirmation.id.desc()))
