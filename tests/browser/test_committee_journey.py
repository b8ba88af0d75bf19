"""The committee's evaluation in the browser, as one journey: two received
declarations are grouped, the experts are drawn, review and vote (one passes,
one fails, with the exact tally), the 公示 takes one objection which the title
office dismisses, the title office approves, the applicant downloads the
electronic certificate, and /verify/ answers before and after a revocation."""
from datetime import timedelta

from sqlalchemy import select

from app.accounts.auth import create_applicant
from app.platform.extensions import db
from models import Meeting, clock
from tests.browser.conftest import shot, sign_in
from tests.committee import running_today
from tests.conftest import APPLICANT_ID, CAPTCHA, login
from tests.declaring import act, declaration_id, fill, status_of, submit

OTHER_ID = "11010519491231002X"
EXPERTS = ["zj_wanglei", "zj_lina", "zj_zhangwei", "zj_liuf", "zj_chenjie", "zj_yangmin"]


def to_committee(app, username, password):
    """Fill and submit through HTTP (fast), then the unit and the department approve."""
    client = app.test_client()
    login(client, username, password=password)
    fill(client, app, username=username)
    assert submit(client).status_code == 302
    decl = declaration_id(app, username)
    for reviewer in ("baili_hr", "gxj_zc"):
        login(client, reviewer)
        assert act(client, decl, "approve").status_code == 302
    assert status_of(app, decl) == "committee_receive"
    return decl


def flash(page):
    return page.inner_text(".alert")


def test_committee_evaluation_to_certificate(app, live_server, page):
    with app.app_context():
        create_applicant("王芳", OTHER_ID, "wf@example.com", "13700000009", "abc12345")
    zhang = to_committee(app, APPLICANT_ID, "Demo2026")
    wang = to_committee(app, OTHER_ID, "abc12345")
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.accept()))
    base = live_server

    # 评委会接收, then the meeting: grouping, the recorded draw (刘洋 of the applicants' unit is recused), attendance
    sign_in(page, base, "gc_pwh")
    for decl in (zhang, wang):
        page.goto(f"{base}/review/{decl}")
        page.click("#act-receive")
        page.wait_for_selector(".alert")
    page.goto(base + "/meetings/experts")      # 专家库: a new expert gets an account and a one-time password
    for field, value in (("name", "周立"), ("username", "zj_zhouli"), ("major", "电气工程"), ("title", "正高级工程师"),
                         ("phone", "13600000001")):
        page.fill(f"#{field}", value)
    page.select_option("#unit_id", label="天津市第一机床厂有限公司")
    page.select_option("#series", label="工程技术人员")
    page.click("#add-expert")
    assert "zj_zhouli" in page.inner_text("#expert-created") and len(page.inner_text("#expert-password")) >= 10
    assert len(page.query_selector_all("#expert-list tbody tr")) == 8
    shot(page, "committee-00-experts")
    page.goto(base + "/meetings/")
    page.click("text=年度工程技术高级评审会议")
    page.check(f"#pick-{zhang}")
    page.check(f"#pick-{wang}")
    page.click("#assign")
    assert "已分入评审组" in flash(page)
    page.click(".draw-random")
    assert "已抽取专家" in flash(page)
    record = page.inner_text(".draw-record")
    assert "赵敏" in record and "随机抽取，种子" in record and "刘洋" not in record
    for box in page.query_selector_all("input[name=present]"):
        box.check()
    page.click("text=保存签到")
    page.click("#open-meeting")
    assert "会议已开始" in flash(page)
    shot(page, "committee-01-meeting")

    # each expert reviews and casts an anonymous ballot: 张明 5 同意 1 不同意; 王芳 3 同意 2 不同意 1 弃权
    votes = {zhang: ["yes"] * 5 + ["no"], wang: ["yes", "yes", "yes", "no", "no", "abstain"]}
    for n, expert in enumerate(EXPERTS):
        try:
            sign_in(page, base, expert)
        except Exception:   # show what the login page answered
            raise AssertionError(f"{expert}: {page.inner_text('body')[:300]}") from None
        page.goto(base + "/expert/")
        assert len(page.query_selector_all("#expert-tasks tbody tr")) == 2
        for decl in (zhang, wang):
            page.goto(f"{base}/expert/{decl}")
            if n == 0:
                page.fill("#opinion-text", "业绩材料完整，符合申报条件。")
                with page.expect_navigation():   # the saved page loaded, its script run
                    page.click("#save-opinion")
                assert "评审意见已保存" in flash(page)
                if decl == zhang:
                    shot(page, "committee-02-expert")
            page.check(f"#choice-{votes[decl][n]}")
            page.click("#cast-vote")
            page.wait_for_selector("#voted")
    assert dialogs.count("投票后不能更改，是否提交？") == 12, dialogs

    # the secretary closes the vote: the exact tally, the 表决结果 sheet, the 公示
    sign_in(page, base, "gc_pwh")
    page.goto(base + "/meetings/")
    page.click("text=年度工程技术高级评审会议")
    page.click(".close-vote")
    assert "表决已结束" in flash(page)
    assert page.inner_text(f"#entry-{zhang}").split("\t")[2:] == ["6", "6", "5", "1", "0", "通过"]
    assert page.inner_text(f"#entry-{wang}").split("\t")[2:] == ["6", "6", "3", "2", "1", "未通过"]
    assert status_of(app, zhang) == "publicity" and status_of(app, wang) == "rejected"
    page.click("#publish")
    assert "公示期" in page.inner_text("#publicity-span")
    with app.app_context():   # published on a weekend, it would only start on Monday
        meeting = db.session.scalar(select(Meeting).where(Meeting.publicity_from.is_not(None)))
        meeting.publicity_from = running_today(meeting.publicity_from)
        db.session.commit()
    shot(page, "committee-03-tally")
    page.goto(base + page.get_attribute("#results-link", "href"))
    assert "评委会主任委员（签字）" in page.inner_text("body")
    shot(page, "committee-04-results")

    # the public page, without login: one objection, behind the captcha
    page.context.clear_cookies()
    page.goto(base + "/publicity/")
    listed = page.inner_text(".publicity-block")
    assert "张明" in listed and "王芳" not in listed and APPLICANT_ID not in listed
    page.select_option("#candidate", label="张明（天津百利机械装备集团有限公司）")
    page.fill("#contact", "李先生 13912345678")
    page.fill("#reason", "该申报人的论文存在一稿多投的情况，请核实。")
    page.fill("#captcha", CAPTCHA)
    page.click("#objection-submit")
    page.wait_for_selector("#objection-done")
    shot(page, "committee-05-publicity")

    # the title office: approval refused during 公示; the objection dismissed; approval after the 公示
    sign_in(page, base, "zcb")
    page.goto(f"{base}/review/{zhang}")
    assert "公示结束后方可审批" in page.inner_text("#not-yet-approve")    # the end date, no button to refuse
    assert page.locator("#act-approve").count() == 0
    page.goto(base + "/publicity-admin/")
    page.fill(".objection-form textarea", "经核实，该论文为首次发表，异议不成立。")
    page.click(".objection-form .dismiss")
    assert "已记录异议处理结果" in flash(page)
    assert "不予采纳" in page.inner_text("#objections")
    shot(page, "committee-06-office")
    with app.app_context():   # five working days pass
        meeting = db.session.scalar(select(Meeting).where(Meeting.publicity_from.is_not(None)))
        meeting.publicity_from = clock.today() - timedelta(days=14)
        db.session.commit()
    page.goto(f"{base}/review/{zhang}")
    page.click("#act-approve")
    page.wait_for_selector(".alert")
    assert status_of(app, zhang) == "approved"

    # the applicant: plain words, no tally, and the certificate
    sign_in(page, base, APPLICANT_ID)
    page.goto(base + "/declaration/flow")
    assert "已发证" in page.inner_text("#current-status")
    body = page.inner_text("body")
    assert "同意5票" not in body and "王磊" not in body
    number = page.inner_text("#certificate-no")
    with page.expect_download() as download:
        page.click(f"#certificate-download-{clock.today().year}")
    with open(download.value.path(), "rb") as f:
        assert f.read(5) == b"%PDF-"
    shot(page, "committee-07-applicant")

    # /verify/ before and after the revocation
    def verify():
        page.goto(base + "/verify/")
        page.fill("#no", number)
        page.fill("#name", "张明")
        page.click("#verify-button")
        page.wait_for_selector(".alert")

    verify()
    assert page.is_visible("#verify-valid")
    sign_in(page, base, "zcb")
    page.goto(base + "/publicity-admin/")
    page.fill(f"#certificate-{zhang} input[name=reason]", "论文抄袭，经查属实")
    page.click(f"#certificate-{zhang} .revoke")
    assert "证书已撤销" in flash(page)
    verify()
    assert "论文抄袭，经查属实" in page.inner_text("#verify-revoked")
    shot(page, "committee-08-revoked")
