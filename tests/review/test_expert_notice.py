"""Drawn experts are told: a message in 我的消息 and an SMS with the meeting's
date and place, after the draw committed; a refused draw tells nobody."""
import pytest
from sqlalchemy import select

from app.platform.extensions import db
from app.review import meetings
from models import Account, Expert, Notification
from tests.committee import SECRETARY, account, demo_group, prepare, present_experts
from tests.conftest import login, outbox, page_text


def test_drawn_experts_get_a_message_and_an_sms(app, client, decl):
    group_id = prepare(app, [decl], open_it=False)
    drawn = present_experts(app, group_id)
    with app.app_context():
        meeting = demo_group().meeting
        day, place = meeting.held_on.strftime("%Y年%m月%d日"), meeting.place
        phones = {u: p for u, p in db.session.execute(select(Account.username, Account.phone)).all()}
        told = set(db.session.scalars(select(Account.username).join(Notification,
                                                                    Notification.account_id == Account.id)))
    assert set(drawn) <= told and "zj_liuyang" not in told   # recused from 张明's declaration: never drawn
    texts = {m["phone"]: m["text"] for m in outbox(app)}
    for username in drawn:
        text = texts[phones[username]]
        assert day in text and place in text and "机械组" in text and "评审任务" in text
    assert phones["zj_liuyang"] not in texts
    login(client, drawn[0])
    home = page_text(client.get("/"))
    assert "会议未开始" in home and f'href="/expert/{decl}"' in home and "1条新" in home and place in home
    assert place in page_text(client.get("/messages/"))


def test_a_refused_draw_tells_nobody(app, decl):
    with app.test_request_context():
        group = demo_group()
        with pytest.raises(meetings.Refused):   # no declaration in the group yet
            meetings.draw(group, account(SECRETARY), seed="s")
        assert db.session.scalar(select(Notification.id).join(Expert, Expert.account_id == Notification.account_id)) \
            is None
        phones = set(db.session.scalars(select(Expert.phone)))
    assert not [m for m in outbox(app) if m["phone"] in phones]


def test_an_expert_without_a_draw_is_told_how_they_will_learn(app, client):
    login(client, "zj_lina")
    home = page_text(client.get("/"))
    assert "目前没有分配给您的评审任务" in home and "短信" in home
    assert "统计分析" not in home and "查看全部" not in home
