"""An expired session never loses what was typed (#9 item 2): the applicant's
long 业绩成果 and the reviewer's return reason survive an expired session and
come back after signing in again; a warning comes before the idle timeout with
继续保持登录. Also: a row's 预览附件（n/m） follows an upload without a reload."""
from playwright.sync_api import expect
from sqlalchemy import text

from app.platform.extensions import db
from tests.browser.conftest import shot, sign_in
from tests.conftest import APPLICANT_ID, CAPTCHA, login
from tests.declaring import ROWS, basic, declaration_id, fill, post, submit

LONG_TEXT = ("主持完成高速数控机床主轴系统的研发，负责总体方案、热变形补偿算法与试验验证；" * 20)[:1400]


def expire_sessions(app):
    """What 30 idle minutes do: the stored sessions are gone (their cookies point at nothing)."""
    with app.app_context():
        db.session.execute(text("DELETE FROM kv_entry WHERE key LIKE 'session:%'"))
        db.session.commit()


def sign_in_again(page, username, password="Demo2026"):
    page.fill("#username", username)
    page.fill("#password", password)
    page.fill("#captcha", CAPTCHA)
    page.click("#login-button")


def test_expired_session_keeps_the_typed_text(app, client, live_server, page):
    login(client, APPLICANT_ID)
    assert post(client, "/declaration/basic", basic(app)).status_code == 302
    sign_in(page, live_server, APPLICANT_ID)
    page.goto(live_server + "/declaration/achievements")
    page.fill('#section-form [name="content"]', LONG_TEXT)
    page.wait_for_timeout(600)                          # the draft is written a moment after typing
    expire_sessions(app)
    page.click("#save-button")
    page.wait_for_selector("text=登录已超时")
    assert "本次提交没有保存" in page.inner_text("body") and "重新登录" in page.inner_text("body")
    shot(page, "session-expired")
    page.click("#login-link")
    page.wait_for_selector("#login-form")
    sign_in_again(page, APPLICANT_ID)
    page.wait_for_url("**/declaration/achievements")
    page.wait_for_selector("#draft-restored")
    assert page.input_value('#section-form [name="content"]') == LONG_TEXT
    shot(page, "session-draft-restored")
    page.click("#save-button")
    page.wait_for_selector("text=保存成功")
    assert page.input_value('#section-form [name="content"]') == LONG_TEXT    # stored by the server now
    assert page.locator("#draft-restored").count() == 0
    # the saved page's script drops the draft as it starts
    page.wait_for_function("Object.keys(localStorage).filter(k => k.startsWith('draft:')).length === 0",
                           timeout=5000)
    page.reload()
    assert page.locator("#draft-restored").count() == 0


def test_expired_session_keeps_the_return_reason(app, client, live_server, page):
    login(client, APPLICANT_ID)
    fill(client, app)
    assert submit(client).status_code == 302
    decl = declaration_id(app)
    sign_in(page, live_server, "baili_hr")
    page.goto(f"{live_server}/review/{decl}")
    page.fill("#opinion", "论文附件不清晰，请重新上传第二页")
    page.wait_for_timeout(600)
    expire_sessions(app)
    page.click("#act-return")
    page.wait_for_selector("text=登录已超时")
    page.click("#login-link")
    page.wait_for_selector("#login-form")
    sign_in_again(page, "baili_hr")
    page.wait_for_url(f"**/review/{decl}")
    page.wait_for_selector("#draft-restored")
    assert page.input_value("#opinion") == "论文附件不清晰，请重新上传第二页"
    page.click("#act-return")
    page.wait_for_selector("text=已退回")
    with app.app_context():
        from models import ReviewEvent
        assert db.session.scalar(db.select(ReviewEvent.opinion).where(ReviewEvent.action == "return")) == \
            "论文附件不清晰，请重新上传第二页"


def test_warning_before_the_idle_timeout(app, client, live_server, page):
    sign_in(page, live_server, APPLICANT_ID)
    page.clock.install()
    page.goto(live_server + "/")
    page.clock.fast_forward("24:00")
    page.clock.run_for(6000)
    assert page.locator("#session-warning").count() == 0      # not yet: five minutes before
    page.clock.fast_forward("02:00")
    page.clock.run_for(6000)
    page.wait_for_selector("#session-warning")
    assert "登录将在" in page.inner_text("#session-warning")
    shot(page, "session-warning")
    page.click("#stay-signed-in")
    page.wait_for_selector("#session-warning", state="detached")
    # once the time is over, it says so and how to sign in again
    page.clock.fast_forward("31:00")
    page.clock.run_for(6000)
    page.wait_for_selector("#session-warning >> text=登录已超时")


def test_row_attachment_count_follows_uploads(app, client, live_server, page):
    login(client, APPLICANT_ID)
    assert post(client, "/declaration/basic", basic(app)).status_code == 302
    assert post(client, "/declaration/papers/new", ROWS["papers"][0]).status_code == 302
    with open("/tmp/zc-count.jpg", "wb") as f:
        from tests.images import jpeg
        f.write(jpeg(800, 600))
    sign_in(page, live_server, APPLICANT_ID)
    page.goto(live_server + "/declaration/papers")
    preview = page.locator(".toggle-attachments >> text=预览附件").first
    assert "（0/" in preview.inner_text()
    page.locator(".toggle-attachments >> text=上传附件").first.click()
    panel = page.locator(".row-attachments .attachment-panel").first
    panel.locator("input[type=file]").set_input_files("/tmp/zc-count.jpg")
    page.wait_for_function("() => document.querySelector('.row-attachments .attachment-list li')")
    assert "（1/" in preview.inner_text()                       # no reload
    shot(page, "row-attachment-count")
    page.on("dialog", lambda d: d.accept())
    panel.locator(".attachment-delete").first.click()
    page.wait_for_function("() => !document.querySelector('.row-attachments .attachment-list li')")
    assert "（0/" in preview.inner_text()


def test_no_restored_banner_after_an_ordinary_validation_error(app, client, live_server, page):
    login(client, APPLICANT_ID)
    fill(client, app)
    assert submit(client).status_code == 302
    decl = declaration_id(app)
    sign_in(page, live_server, "baili_hr")
    page.goto(f"{live_server}/review/{decl}")
    page.fill("#opinion", "请补充第二页")
    page.fill("#due", "2020-01-01")                               # a 补正期限 in the past: refused
    page.wait_for_timeout(600)
    page.click("#act-return")
    page.wait_for_selector("text=补正期限须晚于今天")
    assert page.locator("#draft-restored").count() == 0            # the server answered: no timeout to speak of
    expect(page.locator("#opinion")).to_have_value("请补充第二页")    # and what was typed is still there
    shot(page, "session-validation-no-banner")
    page.wait_for_timeout(600)                                    # past the draft's write delay
    page.reload()
    expect(page.locator("#opinion")).to_have_value("请补充第二页")   # the draft script has run
    assert page.locator("#draft-restored").count() == 0
