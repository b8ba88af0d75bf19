"""Taking declarations through the committee's evaluation quickly: the demo
meeting's 机械组, a recorded draw, attendance, the experts' ballots, the close
and the 公示 — through the same functions the pages call."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from app.platform.extensions import db
from app.review import meetings, publicity, voting, workdays
from models import Account, Expert, GroupExpert, Meeting, ReviewGroup, clock

SECRETARY = "gc_pwh"


def account(username):
    return db.session.scalar(select(Account).where(Account.username == username))


def demo_group() -> ReviewGroup:
    return db.session.scalar(select(ReviewGroup).join(Meeting).where(ReviewGroup.name == "机械组"))


def prepare(app, decl_ids, present: int = 6, size: int = 6, open_it: bool = True) -> int:
    """Put the declarations into 机械组, draw `size` experts (seed fixed), mark `present` of them, open."""
    with app.test_request_context(environ_base={"REMOTE_ADDR": "127.0.0.1"}):
        group = demo_group()
        group.size = size
        db.session.commit()
        meetings.put_into_group(group, list(decl_ids))
        meetings.draw(group, account(SECRETARY), seed="demo-seed")
        members = sorted(group.members, key=lambda m: m.expert_id)
        meetings.set_present(group, {m.expert_id for m in members[:present]})
        if open_it:
            meetings.open_meeting(group.meeting)
        return group.id


def present_experts(app, group_id) -> list[str]:
    """Usernames of the group's experts who are present, in a fixed order."""
    with app.app_context():
        return list(db.session.scalars(
            select(Account.username).join(Expert, Expert.account_id == Account.id)
            .join(GroupExpert, GroupExpert.expert_id == Expert.id)
            .where(GroupExpert.group_id == group_id, GroupExpert.present.is_(True)).order_by(Expert.id)))


def vote(app, group_id, decl_id, choices: list[str]) -> None:
    """The present experts vote in order: choices[i] by the i-th."""
    for username, choice in zip(present_experts(app, group_id), choices):
        with app.test_request_context():
            voting.cast(account(username), decl_id, choice)


def close(app, group_id):
    with app.test_request_context(environ_base={"REMOTE_ADDR": "127.0.0.1"}):
        return [(d.id, t) for d, t in voting.close_vote(account(SECRETARY), db.session.get(ReviewGroup, group_id))]


def publish(app, group_id, ended: bool = True) -> None:
    """Start the 公示; `ended` moves it into the past (a test has no week to
    wait), else it is running today (see running_today)."""
    with app.test_request_context():
        meeting = db.session.get(ReviewGroup, group_id).meeting
        publicity.publish(account(SECRETARY), meeting)
        meeting.publicity_from = clock.today() - timedelta(days=30) if ended else running_today(meeting.publicity_from)
        db.session.commit()


def running_today(publicity_from: date) -> date:
    """A 公示 published on a weekend or a holiday starts on the next working
    day, so on such a day it has not begun yet: for a test that needs it
    running, it began on the last working day before today (published then)."""
    day = min(publicity_from, clock.today())
    holidays = workdays.holidays_between(day - timedelta(days=60), day)
    while not workdays.is_working_day(day, holidays):
        day -= timedelta(days=1)
    return day


def evaluate(app, decl_ids, choices: dict | None = None, ended: bool = True) -> int:
    """The whole evaluation: every present expert votes 同意 unless `choices` says otherwise."""
    group_id = prepare(app, decl_ids)
    for decl_id in decl_ids:
        vote(app, group_id, decl_id, (choices or {}).get(decl_id, ["yes"] * 6))
    close(app, group_id)
    publish(app, group_id, ended)
    return group_id
