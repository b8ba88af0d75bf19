"""Notifications (B5): written in the same transaction as the step that
caused them, sent by SMS after it committed; failures stay for a retry."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from app.platform.extensions import db
from app.platform.jobs import task
from app.platform.sms import SmsError, send_sms
from models import Account, Notification, clock


DELIVER_TASK = "review.deliver-notifications"


@task(DELIVER_TASK, every=timedelta(minutes=10), retries=0)
def deliver_notifications(account_id: int | None = None) -> int:
    """Send by SMS the notifications not sent yet (after their transaction
    committed), on the job queue: after each review step for its applicant,
    and every 10 minutes for whatever failed before."""
    stmt = select(Notification).where(Notification.sms_sent_at.is_(None), Notification.sms_attempts < 5)
    if account_id is not None:
        stmt = stmt.where(Notification.account_id == account_id)
    sent = 0
    for note in db.session.scalars(stmt.order_by(Notification.id)).all():
        account = db.session.get(Account, note.account_id)
        note.sms_attempts += 1
        try:
            if account and account.phone:
                send_sms(account.phone, note.text)
            note.sms_sent_at = clock.now()
            sent += 1
        except SmsError:
            current_app.logger.exception("Notification %s could not be sent", note.id)
        db.session.commit()
    return sent


