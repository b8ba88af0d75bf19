"""The review workflow (W1–W8, B4, B5): the transition table, the route,
locks, returns, history, notifications and who sees what."""
import itertools
import json
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from app.accounts.auth import create_applicant
from app.declaration.data import Conflict
from app.platform.extensions import db
from app.review.workflow import STATUS_LABELS, STEPS, InvalidStep, perform
from models import (
    Account,
    Declaration,
    DeclarationYear,
    Notification,
    Organisation,
    ReviewEvent,
    clock,
)
from permissions.roles import (
    APPLICANT_ROLE,
    COMMITTEE_ROLE,
    DEPARTMENT_ROLE,
    OFFICE_ROLE,
    UNIT_ROLE,
)
from tests.committee import evaluate
from tests.conftest import APPLICANT_ID, csrf_token, login, logout, outbox, page_text, statements
from tests.declaring import (
    ROWS,
    act,
    basic,
    declaration_id,
    fill,
    post,
    status_of,
    submit,
    unit_id,
)

REVIEWERS = {UNIT_ROLE: "baili_hr", DEPARTMENT_ROLE: "gxj_zc", COMMITTEE_ROLE: "gc_pwh", OFFICE_ROLE: "zcb"}



def as_user(app, username):
    return db.session.scalar(select(Account).where((Account.username == username) | Account.id_number_is(username)))


def advance(app, client, decl, *steps):
    """Take steps as the reviewers would, through the pages."""
    for username, action in steps:
        login(client, username)
        response = act(client, decl, action, opinion="同意")
        assert response.status_code == 302, (username, action)
        logout(client)


def test_the_table_is_the_route():
    assert {s.source for s in STEPS} == set(STATUS_LABELS) - {"approved", "rejected"}
    # office_review is reached no more (the vote leads to 公示) but stays for declarations passed before
    assert {s.target for s in STEPS} | {"draft", "office_review"} == set(STATUS_LABELS)
    assert all(s.reason for s in STEPS if s.action in ("return", "fail"))


def force(app, decl, status):
    """Put a declaration into any state (test set-up only), keeping the database's rules."""
    with app.app_context():
        d = db.session.get(Declaration, decl)
        db.session.info["workflow"] = True
        d.status = status
        d.certificate_no = "TEST-1" if status == "approved" else None
        received = status in ("committee_review", "office_review", "approved", "rejected")
        d.committee_received, d.received_date = received, (clock.today() if received else None)
        d.reached = {"draft": 0, "returned": 1}.get(status, 5)
        db.session.commit()
        db.session.info.pop("workflow")


BUTTON_STEPS = {(s.source, s.action, s.role) for s in STEPS if not s.internal}


def test_every_state_action_role(app, submitted):
    """Generated over every state × action × role: the listed steps succeed,
    every other combination is refused and changes nothing."""
    roles = {APPLICANT_ROLE: APPLICANT_ID, **REVIEWERS}
    for status, action, (role, username) in itertools.product(STATUS_LABELS, sorted({s.action for s in STEPS}),
                                                                roles.items()):
        force(app, submitted, status)
        # internal steps (the vote, objections, the schedule) are never a reviewer's to take; approving
        # during 公示 has its own preconditions (tests/review/test_committee.py)
        allowed = (status, action, role) in BUTTON_STEPS and status != "publicity"
        with app.app_context():
            decl = db.session.get(Declaration, submitted)
            user = as_user(app, username)
            events = db.session.scalar(select(db.func.count(ReviewEvent.id)))
            try:
                perform(decl, action, user, opinion="原因")
                happened = True
            except InvalidStep:
                db.session.rollback()
                happened = False
            assert happened is allowed, (status, action, role)
            after = db.session.scalar(select(db.func.count(ReviewEvent.id)))
            assert after == events + (1 if allowed else 0)
            if not allowed:
                assert db.session.get(Declaration, submitted).status == status


def test_full_journey_to_certificate(app, client, submitted):
    advance(app, client, submitted, ("baili_hr", "approve"), ("gxj_zc", "approve"))
    assert status_of(app, submitted) == "committee_receive"
    advance(app, client, submitted, ("gc_pwh", "receive"))
    login(client, APPLICANT_ID)
    html = page_text(client.get("/declaration/basic"))
    assert "是" in html and clock.today().strftime("%Y-%m-%d") in html   # 评委会是否接收, 接收日期
    logout(client)
    evaluate(app, [submitted])   # the experts' vote passes it, and its 公示 ended
    advance(app, client, submitted, ("zcb", "approve"))
    with app.app_context():
        decl = db.session.get(Declaration, submitted)
        assert decl.status == "approved"
        assert decl.certificate_no == f"{decl.year}-05-00001"
        events = db.session.scalars(select(ReviewEvent).where(ReviewEvent.declaration_id == submitted)
                                    .order_by(ReviewEvent.id)).all()
        assert [e.action for e in events] == ["submit", "approve", "approve", "receive", "pass", "approve"]
        assert [e.org_name for e in events][1:] == ["天津百利机械装备集团有限公司", "天津市工业和信息化局",
                                                    "天津市工程技术高级评委会", "天津市工程技术高级评委会",
                                                    "天津市人力资源和社会保障局职称办"]
        assert all(e.ip == "127.0.0.1" for e in events)
        notes = db.session.scalars(select(Notification).where(Notification.declaration_id == submitted)).all()
        assert len(notes) == 6 and all(n.sms_sent_at for n in notes)
    login(client, APPLICANT_ID)
    html = page_text(client.get("/declaration/flow"))
    assert "已发证" in html and f"{clock.today().year}-05-00001" in html and "天津市工业和信息化局" in html
    assert sum("证书编号" in m["text"] for m in outbox(app)) == 1
    html = page_text(client.get("/messages/"))
    assert "已审批通过" in html


def test_unit_under_the_bureau_skips_the_department(app, client):
    login(client, APPLICANT_ID)
    fill(client, app)
    direct = unit_id(app, "天津市职业技能公共实训中心")
    assert post(client, "/declaration/basic", basic(app, unit_id=str(direct))).status_code == 302
    assert submit(client).status_code == 302
    decl = declaration_id(app)
    with app.app_context():
        reviewer = as_user(app, "baili_hr")
        reviewer.org_id = direct
        db.session.commit()
    logout(client)
    advance(app, client, decl, ("baili_hr", "approve"))
    assert status_of(app, decl) == "committee_receive"


def test_return_edit_resubmit_and_changes(app, client, submitted):
    login(client, "gxj_zc")   # not the department's turn: it does not even see it
    assert act(client, submitted, "approve").status_code == 404 and status_of(app, submitted) == "unit_review"
    logout(client)
    login(client, "baili_hr")
    act(client, submitted, "return", opinion="")
    assert status_of(app, submitted) == "unit_review"        # a return needs its reason
    assert act(client, submitted, "return", opinion="论文附件不清晰，请重新上传").status_code == 302
    assert status_of(app, submitted) == "returned"
    logout(client)

    login(client, APPLICANT_ID)
    html = page_text(client.get("/declaration/flow"))
    assert "天津百利机械装备集团有限公司" in html and "论文附件不清晰，请重新上传" in html and "李静" in html
    assert any("退回" in m["text"] and "论文附件不清晰" in m["text"] for m in outbox(app))
    assert post(client, "/declaration/basic", basic(app, profession="数控机床设计")).status_code == 302
    assert post(client, "/declaration/papers/new", dict(ROWS["papers"][0], title="机床主轴新论文")).status_code == 302
    assert submit(client).status_code == 302   # incomplete: the new paper has no attachment
    assert status_of(app, submitted) == "returned"
    from tests.declaring import row_ids, upload
    assert upload(client, "papers", "pages", row=row_ids(app, "papers")[-1]).json["ok"]
    assert submit(client).status_code == 302
    assert status_of(app, submitted) == "unit_review"       # resubmission starts again at the unit
    logout(client)

    login(client, "baili_hr")
    html = page_text(client.get(f"/review/{submitted}"))
    assert "与上次提交相比的修改" in html
    assert "现从事专业：机械设计 → 数控机床设计" in html
    assert "机床主轴新论文" in html and "新增" in html


class Clock:
    """The moment the test sets (the system reads the time through models.clock)."""
    at = None


def test_each_step_ends_the_wait_before_it(app, submitted, monkeypatch):
    """perform() records when the previous step's wait ended; the statistics'
    waits follow a return and a resubmission, counting the unit twice."""
    from app.insight.statistics import conditions, waiting_times

    monkeypatch.setattr("models.clock._utcnow", lambda: Clock.at)
    with app.app_context():
        decl = db.session.get(Declaration, submitted)
        start = db.session.scalar(select(ReviewEvent.created_at).where(ReviewEvent.declaration_id == submitted))
        for days, username, action in ((2, "baili_hr", "return"), (3, APPLICANT_ID, "submit"),
                                       (7, "baili_hr", "approve")):
            Clock.at = start + timedelta(days=days)
            perform(decl, action, as_user(app, username), opinion="原因")
        events = db.session.execute(select(ReviewEvent.to_status, ReviewEvent.created_at, ReviewEvent.ended_at)
                                    .where(ReviewEvent.declaration_id == submitted).order_by(ReviewEvent.id)).all()
        assert [e.to_status for e in events] == ["unit_review", "returned", "unit_review", "dept_review"]
        assert [e.ended_at for e in events] == [e.created_at for e in events[1:]] + [None]
        Clock.at = start + timedelta(days=10)
        waits, _ = waiting_times(conditions(as_user(app, "zcb"), {}))
    # the unit: 2 days, then 4 after the resubmission; the department: 3 days so far
    assert waits == [["待单位审核", "天津百利机械装备集团有限公司", 2, 3.0, 4.0],
                     ["待主管部门审核", "天津市工业和信息化局", 1, 3.0, 3.0]]


def test_reviewer_page_runs_at_most_six_statements(app, client, submitted):
    """The whole declaration, its history, the changes since the previous submission
    and the audit row of a view with full ID numbers: at most six statements (#13)."""
    login(client, "baili_hr")
    assert act(client, submitted, "return", opinion="请核对现从事专业").status_code == 302
    login(client, APPLICANT_ID)
    assert post(client, "/declaration/basic", basic(app, profession="数控机床设计")).status_code == 302
    assert submit(client).status_code == 302
    login(client, "zcb")                               # sees full ID numbers: each view is audited
    client.get(f"/review/{submitted}")                 # as a warm worker: the dictionaries are read
    with statements(app) as seen:
        html = page_text(client.get(f"/review/{submitted}"))
    assert len(seen) <= 6, "\n\n".join(seen)
    assert "现从事专业：机械设计 → 数控机床设计" in html and "天津百利机械装备集团有限公司" in html
    assert sum(sql.lstrip().upper().startswith("INSERT INTO AUDIT_EVENT") for sql in seen) == 1


def test_submission_refused_when_incomplete_or_closed(app, client):
    login(client, APPLICANT_ID)
    post(client, "/declaration/basic", basic(app))
    response = submit(client)
    assert response.headers["Location"].endswith("/declaration/check")
    assert "未完成" in page_text(client.get("/declaration/check"))
    assert status_of(app, declaration_id(app)) == "draft"
    fill(client, app)
    with app.app_context():
        year = db.session.scalar(select(DeclarationYear).where(DeclarationYear.year == clock.today().year))
        year.closes_on = clock.today() - timedelta(days=1)
        year.opens_on = clock.today() - timedelta(days=30)
        db.session.commit()
    submit(client)
    assert "不在申报时间内" in page_text(client.get("/declaration/check"))
    assert status_of(app, declaration_id(app)) == "draft"


def test_submission_needs_a_committee(app, client):
    login(client, APPLICANT_ID)
    fill(client, app)
    assert post(client, "/declaration/basic", basic(app, level="2", title="0503")).status_code == 302  # 中级
    submit(client)
    assert "暂无评审该系列和级别的评委会" in page_text(client.get("/declaration/check"))


def test_double_submit_makes_one_transition(app, client):
    login(client, APPLICANT_ID)
    fill(client, app)
    token = csrf_token(client, "/declaration/basic")
    import re
    html = page_text(client.get("/declaration/basic"))
    version = re.search(r'name="version" value="([0-9]+)"', html).group(1)
    pledge = re.search(r'name="pledge" value="([0-9]+)"', html).group(1)
    form = {"csrf_token": token, "version": version, "pledge": pledge}
    first = client.post("/declaration/submit", data=form)
    second = client.post("/declaration/submit", data=form)
    assert first.status_code == second.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(db.func.count(ReviewEvent.id))) == 1


def test_stale_reviewer_gets_a_clear_message(app, client, submitted):
    login(client, "baili_hr")
    import re
    version = re.search(r'name="version" value="([0-9]+)"', page_text(client.get(f"/review/{submitted}"))).group(1)
    other = app.test_client()
    login(other, "baili_hr")
    assert act(other, submitted, "approve").status_code == 302
    response = act(client, submitted, "return", opinion="退回", version=version)
    assert response.status_code == 302
    assert "该申报已被他人处理，请刷新后重试" in page_text(client.get(f"/review/{submitted}"))
    assert status_of(app, submitted) == "dept_review"


def race(app, decl_id, actions):
    """Run perform() for each (username, action) at the same moment, each in
    its own thread, session and database connection."""
    barrier = threading.Barrier(len(actions))
    results = []

    def worker(username, action):
        with app.app_context():
            decl = db.session.get(Declaration, decl_id)
            user = as_user(app, username)
            assert decl.version  # loaded before the barrier: both hold the same version
            barrier.wait()
            try:
                perform(decl, action, user, opinion="意见")
                results.append("ok")
            except Conflict as exc:
                db.session.rollback()
                results.append(str(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=a) for a in actions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_two_reviewers_at_once_exactly_one_succeeds(app, submitted):
    results = race(app, submitted, [("baili_hr", "approve"), ("baili_hr", "return")])
    assert sorted(results)[0] == "ok" and results.count("ok") == 1, results
    assert any("该申报已被他人处理" in r or "当前状态下不能" in r for r in results if r != "ok")
    with app.app_context():
        assert db.session.scalar(select(db.func.count(ReviewEvent.id)).where(
            ReviewEvent.declaration_id == submitted)) == 2
        assert db.session.scalar(select(db.func.count(ReviewEvent.id)).where(   # one wait open: the winner's
            ReviewEvent.declaration_id == submitted, ReviewEvent.ended_at.is_(None))) == 1


def test_concurrent_approvals_get_distinct_certificates(app, client):
    """Two declarations approved by the title office at the same moment."""
    ids = []
    for username, name, phone in ((APPLICANT_ID, None, None), ("11010519491231002X", "王芳", "13900000009")):
        if name:
            with app.app_context():
                create_applicant(name, username, "wf@example.com", phone, "abc12345")
        c = app.test_client()
        login(c, username, password="Demo2026" if not name else "abc12345")
        fill(c, app, username=username)
        assert submit(c).status_code == 302
        ids.append(declaration_id(app, username))
    for decl in ids:
        force(app, decl, "office_review")
    barrier = threading.Barrier(2)
    results = []

    def approve(decl_id):
        with app.app_context():
            decl = db.session.get(Declaration, decl_id)
            user = as_user(app, "zcb")
            barrier.wait()
            try:
                perform(decl, "approve", user)
                results.append(db.session.get(Declaration, decl_id).certificate_no)
            except Conflict as exc:
                results.append(f"conflict {exc}")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=approve, args=(d,)) for d in ids]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert len(set(results)) == 2 and all(r.endswith(("00001", "00002")) for r in results), results


def test_exact_visible_sets_per_role(app, client):
    """Declarations in two units under two departments."""
    with app.app_context():
        create_applicant("王芳", "11010519491231002X", "wf@example.com", "13900000009", "abc12345")
    login(client, APPLICANT_ID)
    fill(client, app)
    submit(client)
    logout(client)
    other = app.test_client()
    login(other, "11010519491231002X", password="abc12345")
    fill(other, app, "health", username="11010519491231002X")
    hospital = unit_id(app, "天津市第一中心医院")
    post(other, "/declaration/basic", basic(app, "health", unit_id=str(hospital)))
    assert submit(other).status_code == 302
    mine, theirs = declaration_id(app), declaration_id(app, "11010519491231002X")
    assert status_of(app, theirs) == "unit_review"

    def visible(username):
        c = app.test_client()
        login(c, username)
        html = page_text(c.get("/review/?tab=all"))
        return {d for d in (mine, theirs) if f'id="declaration-{d}"' in html}, c

    assert visible("baili_hr")[0] == {mine}
    assert visible("gxj_zc")[0] == set()          # the unit has not passed it yet
    assert visible("gc_pwh")[0] == set()
    assert visible("zcb")[0] == {mine, theirs}
    advance(app, client, mine, ("baili_hr", "approve"))
    assert visible("gxj_zc")[0] == {mine}
    advance(app, client, mine, ("gxj_zc", "approve"))
    assert visible("gc_pwh")[0] == {mine}
    _, dept = visible("gxj_zc")
    assert dept.get(f"/review/{theirs}").status_code == 404
    _, unit = visible("baili_hr")
    assert unit.get(f"/review/{theirs}").status_code == 404
    assert act(unit, theirs, "approve", version=1).status_code == 404
    assert status_of(app, theirs) == "unit_review"


@pytest.mark.parametrize("username", [APPLICANT_ID, "admin"])
def test_non_reviewers_cannot_act(app, client, submitted, username):
    login(client, username)
    response = act(client, submitted, "approve", version=1)
    # neither the applicant nor the administrator has a review work area
    assert response.status_code == 403
    assert status_of(app, submitted) == "unit_review"


def test_reviewer_of_the_wrong_stage_is_refused(app, client, submitted):
    login(client, "gxj_zc")  # the department: not yet its turn, and not visible
    assert client.get(f"/review/{submitted}").status_code == 404
    login(client, "zcb")     # the title office sees it, but may not approve at the unit step
    act(client, submitted, "approve")
    assert status_of(app, submitted) == "unit_review"


def test_locked_declaration_refuses_forged_writes(app, client, submitted):
    login(client, APPLICANT_ID)
    from tests.declaring import row_ids, upload
    education = row_ids(app, "education")[0]
    assert post(client, "/declaration/basic", basic(app, profession="偷改")).status_code == 400
    assert post(client, f"/declaration/education/{education}", ROWS["education"][0]).status_code == 400
    assert post(client, f"/declaration/education/{education}/delete", {}).status_code == 302
    assert post(client, "/declaration/qualification/clear", {}).status_code == 302
    assert upload(client, "basic", "archive_proof").status_code == 409
    assert row_ids(app, "education") == [education]
    with app.app_context():
        from app.declaration.data import DeclarationData
        data = DeclarationData(db.session.get(Declaration, submitted))
        assert data.single("basic").profession == "机械设计" and data.single("qualification") is not None
    html = page_text(client.get("/declaration/basic"))
    assert 'id="save-button" disabled' in html and 'id="submit-button" disabled' in html


def test_guards_hold_below_the_views(app, submitted):
    """Whatever code writes: only perform() changes a state; history is append-only;
    the database refuses a certificate without approval."""
    with app.app_context():
        decl = db.session.get(Declaration, submitted)
        decl.status = "approved"
        with pytest.raises(InvalidStep):
            db.session.commit()
        db.session.rollback()
        event = db.session.scalar(select(ReviewEvent).where(ReviewEvent.declaration_id == submitted))
        event.opinion = "改写历史"
        with pytest.raises(InvalidStep):
            db.session.commit()
        db.session.rollback()
        db.session.delete(db.session.scalar(select(ReviewEvent).where(ReviewEvent.declaration_id == submitted)))
        with pytest.raises(InvalidStep):
            db.session.commit()
        db.session.rollback()
        from sqlalchemy.exc import IntegrityError
        with pytest.raises(IntegrityError):
            db.session.execute(text("UPDATE declaration SET certificate_no = 'X' WHERE id = :id"), {"id": submitted})
            db.session.commit()
        db.session.rollback()


def test_snapshot_taken_at_submission(app, submitted):
    with app.app_context():
        event = db.session.scalar(select(ReviewEvent).where(ReviewEvent.declaration_id == submitted))
        snapshot = json.loads(event.snapshot)
        assert snapshot["basic"]["现从事专业"] == "机械设计" and len(snapshot["training"]) == 4


def test_bulk_approve_and_bulk_return_needs_reason(app, client, submitted):
    login(client, "baili_hr")
    token = csrf_token(client, "/review/")
    response = client.post("/review/bulk", data={"csrf_token": token, "action": "return", "ids": [submitted],
                                                 "opinion": ""})
    assert status_of(app, submitted) == "unit_review"
    response = client.post("/review/bulk", data={"csrf_token": token, "action": "approve",
                                                 "ids": [submitted, 999999]})
    assert response.status_code == 302 and status_of(app, submitted) == "dept_review"
    html = page_text(client.get("/review/?tab=handled"))
    assert "已审核通过1条" in html and "999999：不存在" in html


def test_list_filters_search_and_masking(app, client, submitted):
    login(client, "baili_hr")
    html = page_text(client.get("/review/"))
    assert "张明" in html and "1201**********0013" in html and APPLICANT_ID not in html
    assert f'id="declaration-{submitted}"' in page_text(client.get("/review/?series=05&level=12&tab=all"))
    assert f'id="declaration-{submitted}"' not in page_text(client.get("/review/?series=04&tab=all"))
    token = csrf_token(client, "/review/")
    client.post("/review/search", data={"csrf_token": token, "q": APPLICANT_ID.lower()})
    assert f'id="declaration-{submitted}"' in page_text(client.get("/review/?tab=all"))
    client.post("/review/search", data={"csrf_token": token, "q": "李四"})
    assert f'id="declaration-{submitted}"' not in page_text(client.get("/review/?tab=all"))


def test_export_is_masked_and_formula_safe(app, client, submitted):
    with app.app_context():
        account = as_user(app, APPLICANT_ID)
        account.first_name = "=HYPERLINK(\"http://x\")"
        db.session.commit()
    login(client, "baili_hr")
    response = client.get("/review/export?tab=all")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    from io import BytesIO

    from openpyxl import load_workbook
    sheet = load_workbook(BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("序号", "姓名", "身份证号")
    assert rows[1][1] == "=HYPERLINK(\"http://x\")" and sheet.cell(2, 2).data_type == "s"
    assert rows[1][2] == "1201**********0013" and rows[1][3] == "138****0001"


def test_defence_import_all_or_nothing(app, client, submitted):
    advance(app, client, submitted, ("baili_hr", "approve"), ("gxj_zc", "approve"))
    from reports.workbooks import write_rows

    def sheet(rows):
        from io import BytesIO
        return BytesIO(write_rows([["身份证号", "答辩时间", "答辩地点", "答辩分组", "备注"], *rows]))

    login(client, "gc_pwh")
    token = csrf_token(client, "/review/defence")
    good = [APPLICANT_ID, "2026-12-10 09:00", "天津市人社局301会议室", "第一组", ""]
    response = client.post("/review/defence", data={"csrf_token": token, "sheet": (sheet([good]), "a.xlsx")},
                           content_type="multipart/form-data")
    html = page_text(response)
    assert response.status_code == 400 and "本评委会没有已接收的该申报人的申报" in html   # not received yet
    act(client, submitted, "receive")
    bad = ["12010119900307001", "", "地点", "", ""]
    response = client.post("/review/defence", data={"csrf_token": token,
                                                    "sheet": (sheet([good, bad]), "a.xlsx")},
                           content_type="multipart/form-data")
    html = page_text(response)
    assert "第3行" in html and "身份证号应为18位" in html
    from models import DefenceArrangement
    with app.app_context():
        assert db.session.scalar(select(db.func.count(DefenceArrangement.id))) == 0   # nothing imported
    response = client.post("/review/defence", data={"csrf_token": token, "sheet": (sheet([good]), "a.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    response = client.post("/review/defence", data={"csrf_token": token,
                                                    "sheet": (__import__("io").BytesIO(b"not excel"), "a.xlsx")},
                           content_type="multipart/form-data")
    assert "不是有效的Excel" in page_text(response)
    with app.app_context():
        assert db.session.scalar(select(DefenceArrangement.place)) == "天津市人社局301会议室"
    login(client, "baili_hr")
    assert client.get("/review/defence").status_code == 403


def test_defence_arrangement_shown_to_health_applicant(app, client):
    login(client, APPLICANT_ID)
    fill(client, app, "health")
    assert submit(client).status_code == 302
    decl = declaration_id(app)
    logout(client)
    with app.app_context():
        health_committee = db.session.scalar(select(Organisation).where(Organisation.name == "天津市卫生技术高级评委会"))
        reviewer = as_user(app, "gc_pwh")
        reviewer.org_id = health_committee.id
        db.session.commit()
    advance(app, client, decl, ("baili_hr", "approve"), ("gxj_zc", "approve"), ("gc_pwh", "receive"))
    from io import BytesIO

    from reports.workbooks import write_rows
    login(client, "gc_pwh")
    data = BytesIO(write_rows([["身份证号", "答辩时间", "答辩地点", "答辩分组", "备注"],
                               [APPLICANT_ID, "2026-12-11 14:00", "第一中心医院报告厅", "内科组", "携带身份证"]]))
    assert client.post("/review/defence", data={"csrf_token": csrf_token(client, "/review/defence"),
                                                "sheet": (data, "d.xlsx")},
                       content_type="multipart/form-data").status_code == 302
    logout(client)
    login(client, APPLICANT_ID)
    html = page_text(client.get("/declaration/health"))
    assert "第一中心医院报告厅" in html and "内科组" in html


def test_title_office_sets_the_year(app, client):
    login(client, "zcb")
    token = csrf_token(client, "/years/add")
    response = client.post("/years/add", data={"csrf_token": token, "year": "2031", "opens_on": "2031-03-01",
                                               "closes_on": "2031-02-01", "note": ""})
    assert "结束日期不能早于开始日期" in page_text(response) and "2031-03-01" in page_text(response)
    response = client.post("/years/add", data={"csrf_token": token, "year": "2031", "opens_on": "2031-03-01",
                                               "closes_on": "2031-05-31", "note": "春季"})
    assert response.status_code == 302
    login(client, "baili_hr")
    assert client.get("/years/list/").status_code == 403


def test_resubmission_resets_the_committee_receipt(app, client, submitted):
    advance(app, client, submitted, ("baili_hr", "approve"), ("gxj_zc", "approve"), ("gc_pwh", "receive"))
    with app.app_context():
        d = db.session.get(Declaration, submitted)
        assert d.committee_received and d.received_date == clock.today()
    login(client, "gc_pwh")
    assert act(client, submitted, "return", opinion="请补充业绩材料").status_code == 302
    logout(client)
    login(client, APPLICANT_ID)
    assert submit(client).status_code == 302
    with app.app_context():
        d = db.session.get(Declaration, submitted)
        assert d.status == "unit_review"
        assert d.committee_received is False and d.received_date is None


def test_defence_arrangement_shown_to_applicants_of_every_series(app, client, submitted):
    """An engineering (not 卫生技术) applicant sees the imported 答辩安排 and gets its 答辩通知单."""
    from io import BytesIO

    from reports.workbooks import write_rows
    advance(app, client, submitted, ("baili_hr", "approve"), ("gxj_zc", "approve"), ("gc_pwh", "receive"))
    login(client, APPLICANT_ID)
    assert "尚未安排答辩" in page_text(client.get("/declaration/flow"))
    login(client, "gc_pwh")
    data = BytesIO(write_rows([["身份证号", "答辩时间", "答辩地点", "答辩分组", "备注"],
                               [APPLICANT_ID, "2026-12-10 09:00", "天津市人社局301会议室", "机械组", "携带身份证"]]))
    assert client.post("/review/defence", data={"csrf_token": csrf_token(client, "/review/defence"),
                                                "sheet": (data, "d.xlsx")},
                       content_type="multipart/form-data").status_code == 302
    login(client, APPLICANT_ID)
    html = page_text(client.get("/declaration/flow"))
    assert "天津市人社局301会议室" in html and "机械组" in html and f"/print/{submitted}/defence" in html
    assert "天津市人社局301会议室" in page_text(client.get("/"))
    notice = client.get(f"/print/{submitted}/defence")
    assert notice.status_code == 200 and "天津市人社局301会议室" in page_text(notice)
