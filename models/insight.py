"""通知公告 published by the title office, and the reviewers' time limit per
review step (PRODUCT B11, M5)."""

from flask_appbuilder import Model
from sqlalchemy import Boolean, CheckConstraint, Column, Date, ForeignKey, Index, Integer, String, Text

from models.clock import AwareDateTime, now


class Announcement(Model):
    """A notice shown on the login page and the home pages between its
    publish and unpublish dates (both inclusive); `series` limits it to the
    applicants of one 专业技术系列 (empty: everyone)."""

    __tablename__ = "announcement"
    id = Column(Integer, primary_key=True)
    title = Column(String(100), nullable=False)
    body = Column(Text, nullable=False, default="")
    series = Column(String(10))
    publish_on = Column(Date, nullable=False)
    unpublish_on = Column(Date)
    pinned = Column(Boolean, nullable=False, default=False)
    #: one policy file (PDF or image), stored under a server-made key
    attachment_key = Column(String(100))
    attachment_name = Column(String(200))
    author_id = Column(Integer, ForeignKey("ab_user.id"))
    created_at = Column(AwareDateTime, nullable=False, default=now)

    __table_args__ = (
        CheckConstraint("unpublish_on IS NULL OR unpublish_on >= publish_on", name="ck_announcement_dates"),
        Index("ix_announcement_window", "publish_on", "unpublish_on"),
    )

    def __str__(self):
        return self.title


class StepTimeLimit(Model):
    """How many working days a review step may take (e.g. 单位审核: 5)."""

    __tablename__ = "step_time_limit"
    status = Column(String(20), primary_key=True)
    working_days = Column(Integer, nullable=False)

    __table_args__ = (CheckConstraint("working_days > 0", name="ck_step_time_limit_positive"),)


class OverdueReminder(Model):
    """The day a reviewer was sent the overdue reminder: one row per reviewer
    and day, written with the message, so the reminder goes once a day
    whichever process runs it and however often."""

    __tablename__ = "overdue_reminder"
    account_id = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), primary_key=True)
    day = Column(Date, primary_key=True)
