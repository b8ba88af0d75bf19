"""The demo accounts alone walk the 卫生技术 and 中小学教师 chains: the
hospital's or school's reviewer, its 主管部门 (卫健委, 教委), the committee's
receipt, and a draw from the committee's own 专家库 — no administrator."""
import json

import pytest
from sqlalchemy import select

from app.platform.extensions import db
from app.review import meetings
from models import Meeting, ReviewGroup
from tests.committee import account
from tests.conftest import APPLICANT_ID, login, logout
from tests.declaring import act, basic, declaration_id, fill, post, status_of, submit, unit_id

CHAINS = [
    ("health", "天津市第一中心医院", "yy_hr", "wjw_zc", "ws_pwh", "zj_gaofeng"),
    ("teacher", "天津市第一中学", "yz_hr", "jw_zc", "jy_pwh", "zj_denghong"),
]


@pytest.mark.parametrize("kind, unit, unit_reviewer, department, committee, colleague", CHAINS)
def test_a_declaration_reaches_its_committee_with_demo_accounts(app, client, kind, unit, unit_reviewer,
                                                                department, committee, colleague):
    login(client, APPLICANT_ID)
    fill(client, app, kind)
    assert post(client, "/declaration/basic", basic(app, kind, unit_id=str(unit_id(app, unit)))).status_code == 302
    assert submit(client).status_code == 302
    decl = declaration_id(app)
    logout(client)
    login(client, "baili_hr")   # another unit's reviewer cannot take the step
    assert act(client, decl, "approve").status_code in (403, 404)
    assert status_of(app, decl) == "unit_review"
    for reviewer, action, after in ((unit_reviewer, "approve", "dept_review"), (department, "approve",
                                    "committee_receive"), (committee, "receive", "committee_review")):
        login(client, reviewer)
        assert act(client, decl, action).status_code == 302, reviewer
        assert status_of(app, decl) == after, reviewer
    # the committee's own meeting and 专家库: a group, a draw without the applicant's colleague
    with app.test_request_context(environ_base={"REMOTE_ADDR": "127.0.0.1"}):
        secretary = account(committee)
        group = db.session.scalar(select(ReviewGroup).join(Meeting).where(Meeting.committee_id == secretary.org_id))
        meetings.put_into_group(group, [decl])
        drawn = meetings.draw(group, secretary, seed="demo")
        names = [name for _, name in json.loads(drawn.chosen)]
        assert len(names) == group.size and account(colleague).first_name not in names
        first = group.members[0].expert.account.username
    login(client, first)
    assert client.get(f"/expert/{decl}").status_code == 200
