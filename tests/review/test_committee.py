"""The committee's evaluation (W9–W14): the recorded draw with recusal, the
quorum, the anonymous vote and its 2/3 rule, 公示 with working days and
objections, approval only afterwards, the electronic certificate and its
revocation, the 诚信承诺书 and the 补正期限."""
import re
import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import inspect, select

from app.data.demo import EXPERT_POOLS, EXPERTS
from app.platform.extensions import db
from app.review import meetings, publicity, voting
from app.review.deadlines import mark_overdue
from app.review.workdays import last_day
from models import (
    Ballot,
    Certificate,
    Declaration,
    Expert,
    ExpertDraw,
    GroupDeclaration,
    GroupExpert,
    Holiday,
    Meeting,
    Notification,
    Objection,
    PledgeConfirmation,
    ReviewEvent,
    ReviewGroup,
    VoteCast,
    clock,
)
from tests.committee import SECRETARY, account, close, demo_group, evaluate, prepare, present_experts, publish, vote
from tests.conftest import APPLICANT_ID, CAPTCHA, csrf_token, login, outbox, page_text
from tests.declaring import act, declaration_id, fill, status_of, submit

from tests.review.conftest import OTHER_ID


def tally_of(app, decl_id):
    with app.app_context():
        e = db.session.scalar(select(GroupDeclaration).where(GroupDeclaration.declaration_id == decl_id))
        return e.yes, e.no, e.abstain, e.expected, e.present, e.passed


# -- anonymity -------------------------------------------------------------------

def test_no_table_links_a_ballot_to_its_expert(app, decl):
    group = prepare(app, [decl])
    vote(app, group, decl, ["yes", "no", "yes", "abstain", "yes", "yes"])
    with app.app_context():
        schema = inspect(db.engine)
        assert {c["name"] for c in schema.get_columns("ballot")} == {"id", "group_id", "declaration_id", "choice"}
        assert {fk["referred_table"] for fk in schema.get_foreign_keys("ballot")} == {"review_group", "declaration"}
        assert "choice" not in {c["name"] for c in schema.get_columns("vote_cast")}
        for table in schema.get_table_names():   # nothing refers to a ballot
            assert all(fk["referred_table"] != "ballot" for fk in schema.get_foreign_keys(table)), table
        # while the vote is open no row holds a choice: only the urn's counters
        assert db.session.query(Ballot).count() == 0 and db.session.query(VoteCast).count() == 6
    close(app, group)
    with app.app_context():
        ballots = db.session.scalars(select(Ballot)).all()
        assert len(ballots) == 6 == db.session.query(VoteCast).count()
        assert sorted(b.choice for b in ballots) == ["abstain", "no", "yes", "yes", "yes", "yes"]
        assert voting.recount(group, decl) == {"yes": 4, "no": 1, "abstain": 1}
        assert all(re.fullmatch(r"[0-9a-f]{32}", b.id) for b in ballots)   # random keys, no sequence to match


# -- the draw, recusal, quorum -----------------------------------------------------

def test_draw_is_recorded_and_recuses_the_applicants_colleague(app, client, decl):
    login(client, SECRETARY)
    with app.app_context():
        group = demo_group()
        meeting_id, group_id = group.meeting_id, group.id
    token = csrf_token(client, f"/meetings/{meeting_id}")
    client.post(f"/meetings/{meeting_id}/assign", data={"group": group_id, "ids": decl, "csrf_token": token})
    response = client.post(f"/meetings/groups/{group_id}/draw", data={"method": "random", "csrf_token": token},
                           follow_redirects=True)
    assert "已抽取专家" in page_text(response)
    with app.app_context():
        drawn = db.session.scalar(select(ExpertDraw))
        names = {e.name for e in db.session.scalars(select(Expert).join(GroupExpert))}
        assert drawn.method == "random" and len(drawn.seed) == 16 and drawn.drawn_by_name == "赵敏"
        assert "刘洋" not in names and len(names) == 6          # 刘洋 works at 张明's unit
        assert "刘洋" not in drawn.candidates
    assert drawn.seed in page_text(client.get(f"/meetings/{meeting_id}"))
    again = client.post(f"/meetings/groups/{group_id}/draw", data={"method": "random", "csrf_token": token},
                        follow_redirects=True)
    assert "该评审组已抽取专家，不能重复抽取" in page_text(again)


def test_the_same_seed_draws_the_same_experts(app, decl):
    with app.test_request_context():
        group = demo_group()
        meetings.put_into_group(group, [decl])
        group.size = 3
        pool = meetings.candidates_for(group)
        import random
        expected = {e.id for e in random.Random("abc").sample(pool, 3)}
        meetings.draw(group, account(SECRETARY), seed="abc")
        assert {m.expert_id for m in group.members} == expected


def test_recused_expert_cannot_open_the_declaration_by_url(app, client, decl):
    group = prepare(app, [decl])
    with app.app_context():   # put 刘洋 (张明's colleague) into the group by hand, as a forged assignment would
        liu = db.session.scalar(select(Expert).where(Expert.name == "刘洋"))
        db.session.add(GroupExpert(group_id=group, expert_id=liu.id, present=True))
        db.session.commit()
    with app.app_context():
        attachment = db.session.execute(select(db.text("id FROM attachment LIMIT 1"))).scalar()
    login(client, "zj_liuyang")
    for path in (f"/expert/{decl}", f"/print/{decl}/summary", f"/print/{decl}/review.pdf",
                 f"/attachments/{attachment}"):
        assert client.get(path).status_code == 404, path
    assert "暂无分配给您的申报" in page_text(client.get("/expert/"))
    token = csrf_token(client, "/expert/")
    response = client.post(f"/expert/{decl}/vote", data={"choice": "yes", "csrf_token": token},
                           follow_redirects=True)
    assert "您须回避该申报，不能投票" in page_text(response)
    # a drawn expert sees it, then declares a conflict: from then on recused too
    first = present_experts(app, group)[0]
    login(client, first)
    assert client.get(f"/expert/{decl}").status_code == 200
    assert client.get(f"/attachments/{attachment}").status_code == 200
    token = csrf_token(client, f"/expert/{decl}")
    client.post(f"/expert/{decl}/conflict", data={"reason": "同学关系", "csrf_token": token})
    assert client.get(f"/expert/{decl}").status_code == 404
    response = client.post(f"/expert/{decl}/vote", data={"choice": "yes", "csrf_token": token},
                           follow_redirects=True)
    assert "您须回避该申报，不能投票" in page_text(response)
    with app.app_context():
        assert db.session.query(VoteCast).count() == 0


def test_expert_outside_the_group_and_forged_ids(app, client, decl):
    prepare(app, [decl])
    with app.test_request_context():   # an expert of the pool who was not drawn (刘洋) and an unknown id
        with pytest.raises(meetings.Refused, match="须回避|不在您的评审组"):
            voting.cast(account("zj_liuyang"), decl, "yes")
        with pytest.raises(meetings.Refused, match="该申报不在您的评审组，不能投票"):
            voting.cast(account("zj_wanglei"), decl + 999, "yes")
        with pytest.raises(meetings.Refused, match="请选择同意、不同意或弃权"):
            voting.cast(account("zj_wanglei"), decl, "maybe")
        assert db.session.query(VoteCast).count() == 0
    login(client, "zj_wanglei")
    assert client.get(f"/expert/{decl + 999}").status_code == 404
    login(client, "baili_hr")
    assert client.get("/expert/").status_code == 403


def test_quorum_not_met_keeps_the_meeting_closed(app, client, decl):
    group = prepare(app, [decl], present=3, open_it=False)    # 3 of 6 present; the quorum is 4
    with app.app_context():
        meeting_id = db.session.get(ReviewGroup, group).meeting_id
    login(client, SECRETARY)
    token = csrf_token(client, f"/meetings/{meeting_id}")
    response = client.post(f"/meetings/{meeting_id}/open", data={"csrf_token": token}, follow_redirects=True)
    assert "机械组应到6人，实到3人，未达到法定人数4人，不能开始" in page_text(response)
    with app.app_context():
        assert db.session.get(Meeting, meeting_id).status == "preparing"
    with app.test_request_context(), pytest.raises(meetings.Refused, match="会议尚未开始"):
        voting.cast(account(present_experts(app, group)[0]), decl, "yes")


def test_quorum_sizes(app):
    with app.app_context():
        assert [meetings.quorum_of(n) for n in (3, 5, 6, 7, 9)] == [2, 4, 4, 5, 6]


@pytest.mark.parametrize("threshold, message", [
    ("0", "通过比例须大于0且不超过1"), ("1.5", "通过比例须大于0且不超过1"), ("-1/3", "通过比例须大于0且不超过1"),
    ("abc", "通过比例格式不正确"), ("", "通过比例格式不正确"), ("1/0", "通过比例格式不正确")])
def test_threshold_outside_zero_one_is_refused(app, client, threshold, message):
    login(client, SECRETARY)
    form = {"name": "测试会议", "year": "2026", "held_on": "2026-12-10", "place": "会议室", "threshold": threshold,
            "csrf_token": csrf_token(client, "/meetings/")}
    response = client.post("/meetings/new", data=form)
    assert response.status_code == 400 and message in page_text(response)
    assert "测试会议" in page_text(response)   # what was typed is kept
    with app.app_context():
        assert db.session.query(Meeting).count() == len(EXPERT_POOLS)   # the demo meetings only
    form["threshold"] = "3/4"
    assert client.post("/meetings/new", data=form).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Meeting.threshold).where(Meeting.name == "测试会议")) == 0.75


def test_expert_pool_form_refuses_bad_input_and_keeps_it(app, client):
    login(client, SECRETARY)
    token = csrf_token(client, "/meetings/experts")
    response = client.post("/meetings/experts", data={"name": "周立", "username": "zj_wanglei", "phone": "123",
                                                      "major": "", "csrf_token": token})
    html = page_text(response)
    assert response.status_code == 400
    for message in ("该账号已存在", "请填写专业", "请填写职称", "请选择工作单位", "请填写专业技术系列"):
        assert message in html, message
    assert 'value="周立"' in html
    with app.app_context():
        assert db.session.query(Expert).count() == len(EXPERTS)
    # a phone already on an account (stored encrypted: compared by its keyed hash)
    taken = client.post("/meetings/experts", data={"name": "周立", "username": "zj_zhouli", "phone": "13800000002",
                                                   "major": "机械", "csrf_token": token})
    assert taken.status_code == 400 and "该手机号已被其他账号使用" in page_text(taken)
    login(client, "jy_pwh")   # another committee's pool is not theirs
    assert "王磊" not in page_text(client.get("/meetings/experts"))
    login(client, "zj_wanglei")
    assert client.get("/meetings/experts").status_code == 403


# -- the vote -------------------------------------------------------------------------

def test_four_of_six_passes(app, decl):
    group = prepare(app, [decl], present=6)
    vote(app, group, decl, ["yes", "yes", "yes", "yes", "no", "abstain"])
    close(app, group)
    assert tally_of(app, decl) == (4, 1, 1, 6, 6, True)
    assert status_of(app, decl) == "publicity"


def test_three_of_five_fails_and_the_history_says_so_in_plain_words(app, client, decl):
    group = prepare(app, [decl], present=5)
    vote(app, group, decl, ["yes", "yes", "yes", "no", "no"])
    close(app, group)
    assert tally_of(app, decl) == (3, 2, 0, 6, 5, False)
    assert status_of(app, decl) == "rejected"
    with app.app_context():
        event = db.session.scalar(select(ReviewEvent).where(ReviewEvent.action == "fail"))
        assert event.opinion == "经评委会无记名投票表决，评审未通过"
        meeting_id = db.session.get(ReviewGroup, group).meeting_id
    login(client, SECRETARY)   # the committee keeps the tally
    html = page_text(client.get(f"/meetings/{meeting_id}"))
    assert "未通过" in html
    # the applicant reads plain words: neither the tally nor the experts
    login(client, APPLICANT_ID)
    html = page_text(client.get("/declaration/flow"))
    assert "评审未通过" in html and "同意3票" not in html and "应到" not in html and "王磊" not in html
    assert not any("票" in m["text"] for m in outbox(app))


def test_pass_rule_boundaries():
    two_thirds = 2 / 3
    assert voting.passes(4, 6, two_thirds) and not voting.passes(3, 5, two_thirds)
    assert voting.passes(2, 3, two_thirds) and not voting.passes(3, 6, two_thirds)
    assert voting.passes(5, 5, 1.0) and not voting.passes(4, 5, 1.0) and not voting.passes(0, 0, two_thirds)


def test_ballot_rules(app, client, decl):
    group = prepare(app, [decl], present=5)
    experts = present_experts(app, group)
    with app.app_context():
        absent = db.session.scalar(select(Expert.account_id).join(GroupExpert).where(
            GroupExpert.group_id == group, GroupExpert.present.is_(False)))
        absent_name = db.session.get(type(account(SECRETARY)), absent).username
    login(client, experts[0])
    token = csrf_token(client, f"/expert/{decl}")
    client.post(f"/expert/{decl}/vote", data={"choice": "yes", "csrf_token": token})
    response = client.post(f"/expert/{decl}/vote", data={"choice": "no", "csrf_token": token}, follow_redirects=True)
    assert "您已对该申报投票，投票后不能更改" in page_text(response)
    assert "您已投票" in page_text(client.get(f"/expert/{decl}"))
    login(client, absent_name)
    token = csrf_token(client, f"/expert/{decl}")
    response = client.post(f"/expert/{decl}/vote", data={"choice": "yes", "csrf_token": token}, follow_redirects=True)
    assert "您未到会，不能投票" in page_text(response)
    close(app, group)
    login(client, experts[1])
    token = csrf_token(client, "/expert/")
    response = client.post(f"/expert/{decl}/vote", data={"choice": "yes", "csrf_token": token}, follow_redirects=True)
    assert "表决已结束，不能再投票" in page_text(response)
    with app.app_context():
        assert db.session.query(Ballot).count() == 1
    with pytest.raises(meetings.Refused, match="该组表决已结束，不能重复结束"):
        close(app, group)


def test_opinions_are_private_until_the_vote_closes(app, client, decl):
    group = prepare(app, [decl])
    first, second = present_experts(app, group)[:2]
    login(client, first)
    token = csrf_token(client, f"/expert/{decl}")
    response = client.post(f"/expert/{decl}/opinion", data={"text": "业绩突出，论文质量高", "score": "92",
                                                            "csrf_token": token}, follow_redirects=True)
    assert "评审意见已保存" in page_text(response)
    response = client.post(f"/expert/{decl}/opinion", data={"text": "好", "score": "101", "csrf_token": token},
                           follow_redirects=True)
    assert "评分须为0至100的整数" in page_text(response)
    login(client, second)
    assert "业绩突出" not in page_text(client.get(f"/expert/{decl}"))
    login(client, SECRETARY)
    with app.app_context():
        meeting_id = db.session.get(ReviewGroup, group).meeting_id
    assert "业绩突出" not in page_text(client.get(f"/meetings/{meeting_id}"))
    vote(app, group, decl, ["yes"] * 6)
    close(app, group)
    html = page_text(client.get(f"/meetings/{meeting_id}"))
    assert "业绩突出，论文质量高" in html and "评分 92" in html


def test_vote_results_sheet(app, client, decl):
    group = prepare(app, [decl])
    vote(app, group, decl, ["yes", "yes", "yes", "yes", "no", "abstain"])
    close(app, group)
    with app.app_context():
        meeting_id = db.session.get(ReviewGroup, group).meeting_id
    login(client, SECRETARY)
    response = client.get(f"/meetings/{meeting_id}/results.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    from pypdf import PdfReader
    import io
    text = PdfReader(io.BytesIO(response.data)).pages[0].extract_text()
    assert "表决结果" in text and "张明" in text and "评委会主任委员（签字）" in text
    login(client, "jy_pwh")    # another committee
    assert client.get(f"/meetings/{meeting_id}/results.pdf").status_code == 404


# -- 公示, objections, approval --------------------------------------------------------

def test_working_days_skip_weekends_and_entered_holidays(app, client):
    with app.app_context():
        thursday = date(2026, 12, 31)
        assert last_day(thursday, 5) == date(2027, 1, 6)       # Thu, Fri, (weekend), Mon, Tue, Wed
    login(client, "zcb")
    token = csrf_token(client, "/publicity-admin/")
    response = client.post("/publicity-admin/holidays", data={"day": "2027-01-01", "name": "元旦",
                                                              "csrf_token": token}, follow_redirects=True)
    assert "已添加节假日2027-01-01" in page_text(response)
    bad = client.post("/publicity-admin/holidays", data={"day": "2027-13-01", "csrf_token": token},
                      follow_redirects=True)
    assert "节假日日期：日期不存在，请按 2027-02-28 的格式填写" in page_text(bad)
    with app.app_context():
        assert db.session.query(Holiday).count() == 1
        assert last_day(thursday, 5) == date(2027, 1, 7)       # the holiday does not count either
        assert publicity.first_working_day(date(2027, 1, 1)) == date(2027, 1, 4)


def test_objection_approval_and_certificate(app, client, two, monkeypatch):
    passed, failed = two
    monkeypatch.setitem(app.config, "RATE_LIMIT_OBJECTIONS", "10 per hour")
    group = prepare(app, [passed, failed])
    vote(app, group, passed, ["yes", "yes", "yes", "yes", "no", "no"])
    vote(app, group, failed, ["yes", "yes", "yes", "no", "no", "abstain"])
    close(app, group)
    publish(app, group, ended=False)
    public = app.test_client()
    html = page_text(public.get("/publicity/"))
    assert "张明" in html and "天津百利机械装备集团有限公司" in html and "王芳" not in html
    assert APPLICANT_ID not in html and "13800000001" not in html
    with app.app_context():
        meeting_id = db.session.get(ReviewGroup, group).meeting_id
    form = {"candidate": f"{meeting_id}:{passed}", "contact": "李先生 13912345678",
            "reason": "该申报人论文存在一稿多投的情况，请核实。", "captcha": CAPTCHA,
            "csrf_token": csrf_token(public, "/publicity/")}
    # not in 公示: the failed candidate, a forged id, a wrong captcha
    for changes, message in (({"candidate": f"{meeting_id}:{failed}"}, "该人员不在公示期内，不能提出异议"),
                             ({"candidate": "9999:1"}, "该人员不在公示期内，不能提出异议"),
                             ({"reason": "太短"}, "异议理由不少于10个字"),
                             ({"captcha": "XXXX"}, "图形验证码错误")):
        app.config["CAPTCHA_FIXED_CODE"] = CAPTCHA
        response = public.post("/publicity/", data=form | changes)
        assert response.status_code == 400 and message in page_text(response), message
    # nobody chosen and every other field wrong: each named at once, beside its field
    response = public.post("/publicity/", data=form | {"candidate": "", "contact": "", "reason": "太短",
                                                       "captcha": "XXXX"})
    html = page_text(response)
    assert response.status_code == 400 and "不在公示期内" not in html
    for message in ("请选择异议对象", "请填写联系方式", "异议理由不少于10个字", "图形验证码错误"):
        assert message in html, message
    assert html.count('class="help-block field-error"') == 4
    app.config["CAPTCHA_FIXED_CODE"] = CAPTCHA
    assert public.post("/publicity/", data=form).status_code == 200
    with app.app_context():
        assert db.session.query(Objection).count() == 1
        objection = db.session.scalar(select(Objection.id))
    # approving during 公示 is refused, and after it with the objection open
    login(client, "zcb")
    page = page_text(client.get(f"/review/{passed}"))
    end = re.search(r'id="not-yet-approve">公示期至(\d{4}-\d\d-\d\d)，公示结束后方可审批<', page)
    assert end and 'id="act-approve"' not in page          # the end date instead of a button that refuses
    response = act(client, passed, "approve")              # a forged POST is still refused
    assert "公示结束后方可审批" in page_text(client.get(f"/review/{passed}"))
    assert status_of(app, passed) == "publicity"
    with app.app_context():
        meeting = db.session.get(Meeting, meeting_id)
        meeting.publicity_from = clock.today() - timedelta(days=30)
        db.session.commit()
    page = page_text(client.get(f"/review/{passed}"))
    assert 'id="not-yet-approve">尚有1条异议未处理，处理完毕后方可审批<' in page and 'id="act-approve"' not in page
    act(client, passed, "approve")
    assert "尚有1条异议未处理，处理完毕后方可审批" in page_text(client.get(f"/review/{passed}"))
    token = csrf_token(client, "/publicity-admin/")
    response = client.post(f"/publicity-admin/objections/{objection}", data={"decision": "dismissed", "note": "",
                                                                           "csrf_token": token}, follow_redirects=True)
    assert "请填写处理意见" in page_text(response)
    client.post(f"/publicity-admin/objections/{objection}", data={"decision": "dismissed", "note": "经核实不属实",
                                                                 "csrf_token": token})
    response = client.post(f"/publicity-admin/objections/{objection}", data={
        "decision": "upheld", "note": "再次处理", "csrf_token": token}, follow_redirects=True)
    assert "该异议已处理，不能重复处理" in page_text(response)
    assert 'id="act-approve"' in page_text(client.get(f"/review/{passed}"))
    assert act(client, passed, "approve").status_code == 302
    assert status_of(app, passed) == "approved"
    # the certificate: the holder downloads it; others may not; revocation shows on /verify/
    login(client, APPLICANT_ID)
    assert "下载电子证书" in page_text(client.get("/declaration/flow"))
    pdf = client.get(f"/certificate/{passed}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    from pypdf import PdfReader
    import io
    text = PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text()
    with app.app_context():
        number = db.session.get(Declaration, passed).certificate_no
    assert number in text and "1201**********0013" in text and "天津市工程技术高级评委会" in text
    login(client, OTHER_ID, password="abc12345")
    assert client.get(f"/certificate/{passed}.pdf").status_code == 404
    verify = app.test_client()
    token = csrf_token(verify, "/verify/")
    assert "证书有效" in page_text(verify.post("/verify/", data={"no": number, "name": "张明", "csrf_token": token}))
    login(client, "zcb")
    office = csrf_token(client, "/publicity-admin/")
    response = client.post(f"/publicity-admin/certificates/{passed}/revoke", data={"reason": "", "csrf_token": office},
                           follow_redirects=True)
    assert "请填写撤销原因" in page_text(response)
    client.post(f"/publicity-admin/certificates/{passed}/revoke", data={"reason": "材料造假", "csrf_token": office})
    html = page_text(verify.post("/verify/", data={"no": number, "name": "张明", "csrf_token": token}))
    assert "证书已撤销" in html and "材料造假" in html and "证书有效" not in html


def test_upheld_objection_fails_the_candidate(app, client, decl):
    group = evaluate(app, [decl], ended=False)
    with app.app_context():
        meeting_id = db.session.get(ReviewGroup, group).meeting_id
        objection = publicity.file_objection(meeting_id, decl, "王女士", "该申报人业绩材料与实际不符，请核查。", "1.2.3.4")
        objection_id = objection.id
    with app.test_request_context():
        publicity.handle_objection(account("zcb"), objection_id, "upheld", "经核实业绩材料不实")
    assert status_of(app, decl) == "rejected"
    with app.app_context():
        event = db.session.scalar(select(ReviewEvent).where(ReviewEvent.action == "uphold"))
        assert "经核实业绩材料不实" in event.opinion
        assert db.session.query(Certificate).count() == 0


def test_objections_are_rate_limited(app, decl):
    group = evaluate(app, [decl], ended=False)
    with app.app_context():
        meeting_id = db.session.get(ReviewGroup, group).meeting_id
    public = app.test_client()
    token = csrf_token(public, "/publicity/")
    form = {"candidate": f"{meeting_id}:{decl}", "contact": "某某", "reason": "这是一条测试用的异议理由文本。",
            "captcha": CAPTCHA, "csrf_token": token}
    codes = [public.post("/publicity/", data=form).status_code for _ in range(6)]
    assert codes == [200] * 5 + [429]
    with app.app_context():
        assert db.session.query(Objection).count() == 5


# -- 诚信承诺书 and 补正期限 -----------------------------------------------------------------

def test_pledge_is_confirmed_before_submission_and_printed(app, client):
    login(client, APPLICANT_ID)
    fill(client, app)
    html = page_text(client.get("/declaration/basic"))
    assert "诚信承诺书" in html and "本人郑重承诺" in html
    response = submit(client, pledge=False)
    assert "请先阅读并勾选诚信承诺书，再提交" in page_text(client.get("/declaration/basic"))
    assert status_of(app, declaration_id(app)) == "draft"
    response = client.post("/declaration/submit", data={"pledge": "19990101000000",
                                                        "csrf_token": csrf_token(client, "/declaration/basic")})
    assert response.status_code == 302 and status_of(app, declaration_id(app)) == "draft"
    assert "诚信承诺书已更新" in page_text(client.get("/declaration/basic"))
    assert submit(client).status_code == 302
    assert status_of(app, declaration_id(app)) == "unit_review"
    with app.app_context():
        pledge = db.session.scalar(select(PledgeConfirmation))
        assert pledge.ip == "127.0.0.1" and "本人郑重承诺" in pledge.text and pledge.text_version
    html = page_text(client.get(f"/print/{declaration_id(app)}/review"))
    assert "诚信承诺书" in html and "在线确认" in html and "127.0.0.1" in html


def test_correction_deadline_expires_and_can_be_reopened(app, client):
    login(client, APPLICANT_ID)
    fill(client, app)
    submit(client)
    decl = declaration_id(app)
    login(client, "baili_hr")
    token = csrf_token(client, "/account/password")
    import re as _re
    version = _re.search(r'name="version" value="([0-9]+)"', page_text(client.get(f"/review/{decl}"))).group(1)
    yesterday = (clock.today() - timedelta(days=1)).isoformat()
    response = client.post(f"/review/{decl}/act", data={"action": "return", "opinion": "缺少继续教育证书",
                                                         "due": yesterday, "version": version, "csrf_token": token},
                           follow_redirects=True)
    assert "补正期限须晚于今天" in page_text(response) and status_of(app, decl) == "unit_review"
    due = (clock.today() + timedelta(days=3)).isoformat()
    client.post(f"/review/{decl}/act", data={"action": "return", "opinion": "缺少继续教育证书", "due": due,
                                             "version": version, "csrf_token": token})
    assert status_of(app, decl) == "returned"
    with app.app_context():
        assert mark_overdue(clock.today()) == 0                          # not due yet
        assert mark_overdue(clock.today() + timedelta(days=4)) == 1       # due passed, not resubmitted
        assert mark_overdue(clock.today() + timedelta(days=5)) == 0       # once only
        note = db.session.scalar(select(Notification).order_by(Notification.id.desc()))
        assert "逾期未补正" in note.text and note.sms_sent_at is not None
        from app.platform.jobs import PERIODIC
        assert "review.mark_overdue" in PERIODIC
    assert status_of(app, decl) == "overdue"
    login(client, APPLICANT_ID)
    assert "逾期未补正" in page_text(client.get("/declaration/flow"))
    assert submit(client).status_code == 302 and status_of(app, decl) == "overdue"
    login(client, "baili_hr")
    assert act(client, decl, "reopen").status_code == 302
    assert status_of(app, decl) == "returned"


# -- concurrency (PostgreSQL proves it; SQLite serialises writers anyway) ------------------

def _together(app, jobs):
    barrier = threading.Barrier(len(jobs))
    results = []

    def run(job):
        with app.test_request_context():
            try:
                barrier.wait()
                job()
                results.append("ok")
            except meetings.Refused as exc:
                db.session.rollback()
                results.append(str(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(j,)) for j in jobs]
    [t.start() for t in threads]
    [t.join() for t in threads]
    return results


def test_two_tabs_voting_at_once_make_one_ballot(app, decl):
    group = prepare(app, [decl])
    expert = present_experts(app, group)[0]
    results = _together(app, [lambda: voting.cast(account(expert), decl, "yes"),
                              lambda: voting.cast(account(expert), decl, "no")])
    assert sorted(results)[0] == "ok" and results.count("ok") == 1, results
    assert "您已对该申报投票，投票后不能更改" in results
    with app.app_context():
        entry = db.session.scalar(select(GroupDeclaration))
        assert entry.yes + entry.no + entry.abstain == db.session.query(VoteCast).count() == 1


def test_closing_twice_at_once_counts_once(app, decl):
    group = prepare(app, [decl])
    vote(app, group, decl, ["yes"] * 6)

    def close_it():
        voting.close_vote(account(SECRETARY), db.session.get(ReviewGroup, group))

    results = _together(app, [close_it, close_it])
    assert results.count("ok") == 1 and "该组表决已结束，不能重复结束" in results, results
    with app.app_context():
        assert db.session.query(ReviewEvent).filter_by(action="pass").count() == 1
    assert status_of(app, decl) == "publicity"


def test_a_ballot_racing_the_close_is_counted_or_refused(app, decl):
    group = prepare(app, [decl])
    experts = present_experts(app, group)
    vote(app, group, decl, ["yes"] * 5)

    def close_it():
        voting.close_vote(account(SECRETARY), db.session.get(ReviewGroup, group))

    results = _together(app, [close_it, lambda: voting.cast(account(experts[5]), decl, "no")])
    with app.app_context():
        ballots = db.session.query(Ballot).count()
        entry = db.session.scalar(select(GroupDeclaration))
        assert entry.yes + entry.no == ballots   # no ballot lands after the count
    assert results[0] == "ok" or "表决已结束" in " ".join(results), results


def test_new_meeting_form_reports_every_wrong_field_at_once(app, client):
    login(client, SECRETARY)
    form = {"name": "", "year": "26", "held_on": "2026-02-30", "place": "", "threshold": "1/3",
            "csrf_token": csrf_token(client, "/meetings/")}
    response = client.post("/meetings/new", data=form)
    html = page_text(response)
    assert response.status_code == 400
    for message in ("请填写会议名称", "申报年度应为4位年份", "请填写会议地点", "通过比例不能低于2/3"):
        assert message in html, message
    assert html.count('class="help-block field-error"') == 5          # the date too, each beside its field
    assert 'value="2026-02-30"' in html                               # the impossible date kept as typed
    with app.app_context():
        assert db.session.query(Meeting).count() == len(EXPERT_POOLS)   # the demo meetings only
