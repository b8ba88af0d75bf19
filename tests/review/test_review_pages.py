"""What reviewers read on a declaration's page: values as people know them."""
import re

from tests.conftest import APPLICANT_ID, login, logout, page_text
from tests.declaring import declaration_id, fill, submit


def test_effective_education_shows_the_school_not_the_row_id(app, client):
    login(client, APPLICANT_ID)
    fill(client, app, "health")
    assert submit(client).status_code == 302
    decl = declaration_id(app)
    logout(client)
    login(client, "baili_hr")
    text = page_text(client.get(f"/review/{decl}"))
    shown = re.search(r"有效学历</dt><dd>([^<]*)</dd>", text)
    assert shown and shown.group(1) == "天津大学 机械工程 大学本科毕业 工学学士学位", text[text.find("有效学历"):][:80]


def test_flow_table_names_the_actions_taken(app, client, submitted):
    login(client, "baili_hr")
    from tests.declaring import act
    assert act(client, submitted, "return", opinion="请补充材料").status_code == 302
    html = page_text(client.get(f"/review/{submitted}"))
    actions = re.findall(r'<td class="flow-action">([^<]*)</td>', html)
    assert actions == ["提交", "退回"]
    assert 'class="table-responsive" id="flow-table"' in html
    logout(client)
    login(client, APPLICANT_ID)
    flow = page_text(client.get("/declaration/flow"))
    assert "<td>退回</td>" in flow and "<td>提交</td>" in flow


def test_after_a_return_the_applicant_home_shows_the_reason_and_the_deadline(app, client, submitted):
    from datetime import date, timedelta

    from tests.conftest import csrf_token
    due = date.today() + timedelta(days=10)
    login(client, "baili_hr")
    html = client.get(f"/review/{submitted}").get_data(as_text=True)
    version = re.search(r'name="version" value="([0-9]+)"', html).group(1)
    response = client.post(f"/review/{submitted}/act", data={
        "action": "return", "opinion": "请补充职称证书扫描件", "due": due.isoformat(), "version": version,
        "csrf_token": csrf_token(client, f"/review/{submitted}")})
    assert response.status_code == 302
    logout(client)
    login(client, APPLICANT_ID)
    for page in ("/", "/declaration/flow"):
        text = page_text(client.get(page))
        assert "已退回" in text or page != "/"
        assert "请补充职称证书扫描件" in text, page
        assert f"补正期限：<strong>{due:%Y-%m-%d}</strong>" in text, page
        notice = text[text.find('id="return-reason"'):].split("</div>")[0]
        assert notice.count(f"{due:%Y-%m-%d}") == 1, page    # once, not again inside the reason
