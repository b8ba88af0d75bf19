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
