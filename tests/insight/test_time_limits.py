"""Reviewer time limits: working days, overdue marks in the list, the daily
reminder in 我的消息 and by SMS, the overdue count in the statistics."""
from datetime import date, timedelta

from sqlalchemy import select

from app.insight.time_limits import cutoff, remind_overdue, working_days_between
from app.platform.extensions import db
from app.platform.jobs import PERIODIC, TASKS
from models import Account, Notification, StepTimeLimit, clock
from tests.conftest import login, outbox, page_text
from tests.insight.world import place

FRIDAY = date(2026, 11, 27)


def test_working_days_skip_weekends():
    assert working_days_between(date(2026, 11, 20), FRIDAY) == 5        # Fri → next Fri
    assert working_days_between(date(2026, 11, 21), date(2026, 11, 23)) == 1   # Sat → Mon
    assert working_days_between(FRIDAY, FRIDAY) == 0
    assert cutoff(5, FRIDAY) == clock.start_of(date(2026, 11, 20))   # midnight in Beijing
    assert cutoff(1, date(2026, 11, 30)) == clock.start_of(date(2026, 11, 27))    # Monday: one working day back is Friday


def test_list_marks_overdue_and_shows_the_wait(app, client):
    with app.app_context():
        late = place(1, "unit_review", clock.now() - timedelta(days=14))
        fresh = place(2, "unit_review", clock.now())
        late_id, fresh_id = late.id, fresh.id
    login(client, "baili_hr")
    html = page_text(client.get("/review/?tab=waiting"))
    late_row = html.split(f'id="declaration-{late_id}"')[1].split("</tr>")[0]
    fresh_row = html.split(f'id="declaration-{fresh_id}"')[1].split("</tr>")[0]
    assert "超期" in late_row and "个工作日" in late_row
    assert "超期" not in fresh_row and "0个工作日" in fresh_row


def test_a_longer_limit_set_by_the_administrator_clears_the_mark(app, client):
    with app.app_context():
        late = place(1, "unit_review", clock.now() - timedelta(days=14))
        db.session.add(StepTimeLimit(status="unit_review", working_days=30))
        db.session.commit()
        late_id = late.id
    login(client, "baili_hr")
    row = page_text(client.get("/review/?tab=waiting")).split(f'id="declaration-{late_id}"')[1].split("</tr>")[0]
    assert "超期" not in row


def test_daily_reminder_reaches_the_organisation_once_a_day(app, client):
    assert "remind-overdue" in TASKS and PERIODIC["remind-overdue"] == timedelta(days=1)
    with app.app_context():
        place(1, "unit_review", clock.now() - timedelta(days=14))
        place(2, "unit_review", clock.now() - timedelta(days=30))
        place(3, "unit_review", clock.now())   # in time: not counted
        assert remind_overdue() == 1
        assert remind_overdue() == 0            # the second run of the day adds nothing
        reviewer = db.session.scalar(select(Account).where(Account.username == "baili_hr"))
        notes = db.session.scalars(select(Notification).where(Notification.account_id == reviewer.id)).all()
        assert [n.text for n in notes] == ["您所在机构有2条申报待单位审核已超过处理时限（5个工作日），请尽快处理。"]
        others = db.session.scalar(select(Notification.id).where(Notification.account_id != reviewer.id))
        assert others is None                   # not the department, not another unit
    assert [m["phone"] for m in outbox(app)] == ["13800000002"]
    login(client, "baili_hr")
    assert "已超过处理时限" in page_text(client.get("/messages/"))


def test_more_overdue_the_same_day_sends_no_second_reminder(app):
    """Once a day means once a day per reviewer, even when the count changes."""
    with app.app_context():
        place(1, "unit_review", clock.now() - timedelta(days=14))
        assert remind_overdue() == 1
        place(2, "unit_review", clock.now() - timedelta(days=30))    # overdue later that day
        assert remind_overdue() == 0
        assert db.session.scalars(select(Notification.text)).all() == [
            "您所在机构有1条申报待单位审核已超过处理时限（5个工作日），请尽快处理。"]
        assert remind_overdue(clock.today() + timedelta(days=1)) == 1    # the next day: once again
    assert [m["phone"] for m in outbox(app)] == ["13800000002", "13800000002"]


def test_a_reviewer_holding_two_overdue_steps_gets_one_message(app):
    with app.app_context():
        place(1, "committee_receive", clock.now() - timedelta(days=14))
        place(2, "committee_review", clock.now() - timedelta(days=60))
        assert remind_overdue() == 1
        assert db.session.scalars(select(Notification.text)).all() == [
            "您所在机构有1条申报待评委会接收已超过处理时限（5个工作日）；1条申报待评委会评审已超过处理时限"
            "（20个工作日），请尽快处理。"]


def test_another_process_reminding_at_the_same_moment_wins_quietly(app):
    """Two workers run the reminder at once: both find nobody reminded today;
    the database's one row per reviewer and day lets only one message through."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from models import OverdueReminder

    with app.app_context():
        place(1, "unit_review", clock.now() - timedelta(days=14))
        reviewer = db.session.scalar(select(Account.id).where(Account.username == "baili_hr"))
        db.session.commit()

        done = []

        def the_other_worker(session, *_):
            if not done and any(isinstance(o, OverdueReminder) for o in session.new):
                done.append(True)
                with Session(db.engine) as other:
                    other.add(OverdueReminder(account_id=reviewer, day=clock.today()))
                    other.add(Notification(account_id=reviewer, text="另一个进程的提醒"))
                    other.commit()

        event.listen(db.session, "before_flush", the_other_worker)
        try:
            assert remind_overdue() == 0
        finally:
            event.remove(db.session, "before_flush", the_other_worker)
        assert db.session.scalars(select(Notification.text)).all() == ["另一个进程的提醒"]


def test_statistics_count_overdue_per_step(app, client):
    with app.app_context():
        place(1, "unit_review", clock.now() - timedelta(days=14))
        place(2, "dept_review", clock.now() - timedelta(days=14))
        place(3, "dept_review", clock.now())
    login(client, "zcb")
    html = page_text(client.get("/statistics/"))
    block = html.split('id="stat-overdue"')[1].split("</section>")[0]
    assert "<td>待单位审核</td><td>1</td>" in block and "<td>待主管部门审核</td><td>1</td>" in block


def test_only_the_wait_still_open_can_be_overdue(app, client):
    """A long wait that has ended (the unit passed it on) is not overdue; the
    step where it waits now is judged from when it arrived there."""
    with app.app_context():
        place(1, "dept_review", clock.now() - timedelta(days=1),
              path=[("unit_review", clock.now() - timedelta(days=30))])
        place(2, "dept_review", clock.now() - timedelta(days=14),
              path=[("unit_review", clock.now() - timedelta(days=15))])
        assert remind_overdue() == 1
        texts = db.session.scalars(select(Notification.text)).all()
        assert texts == ["您所在机构有1条申报待主管部门审核已超过处理时限（5个工作日），请尽快处理。"]
    login(client, "zcb")
    block = page_text(client.get("/statistics/")).split('id="stat-overdue"')[1].split("</section>")[0]
    assert "<td>待单位审核</td><td>0</td>" in block and "<td>待主管部门审核</td><td>1</td>" in block


def test_the_command_runs_the_registered_task(app):
    with app.app_context():
        place(1, "unit_review", clock.now() - timedelta(days=14))
    result = app.test_cli_runner().invoke(args=["remind-overdue"])
    assert result.exit_code == 0 and "已提醒 1 位审核人员" in result.output


def test_the_title_office_is_reminded_of_its_own_step_only(app):
    with app.app_context():
        place(1, "office_review", clock.now() - timedelta(days=30))
        assert remind_overdue() == 1
        texts = db.session.execute(select(Account.username, Notification.text)
                                   .join(Account, Account.id == Notification.account_id)).all()
        assert texts == [("zcb", "您所在机构有1条申报待职称办审批已超过处理时限（10个工作日），请尽快处理。")]
