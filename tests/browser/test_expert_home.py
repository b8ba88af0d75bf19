"""An expert drawn into an open meeting sees their work on the home page:
the meeting, its date and place, the declarations and the vote still to cast;
the links lead to the declaration, 评审任务 and 我的消息."""
from tests.browser.conftest import shot, sign_in
from tests.committee import prepare, present_experts
from tests.review.conftest import received


def test_a_drawn_expert_finds_the_task_on_the_home_page(app, client, live_server, page):
    decl = received(app, client)
    expert = present_experts(app, prepare(app, [decl]))[0]
    sign_in(page, live_server, expert)
    card = page.locator("[data-role='评审专家']")
    assert "机械组" in card.inner_text() and "待投票" in card.inner_text()
    assert "天津市人力资源和社会保障局三楼会议室" in card.inner_text()
    assert "目前没有待您处理的申报" not in page.content()
    shot(page, "expert-home")
    page.set_viewport_size({"width": 375, "height": 800})
    shot(page, "expert-home-375")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.set_viewport_size({"width": 1280, "height": 900})
    card.locator(f"a[href='/expert/{decl}']").click()
    page.wait_for_selector("text=投票")
    page.go_back()
    page.click("#messages-link")
    assert "您已被抽取为" in page.locator(".message-list").inner_text()
    page.go_back()
    page.click("#expert-tasks-link")
    page.wait_for_selector(f"#task-{decl}")
