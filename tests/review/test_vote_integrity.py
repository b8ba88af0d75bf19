"""The vote's integrity: a ballot cannot be flipped by a later conflict, the
tally is checked before it is stored, nothing stored links a ballot to its
expert, the applicant never reads the tally or the experts, the pass share
and the quorum respect their minimum, and an expert's access ends with
their work."""
import io
import re
import zipfile
from itertools import combinations

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import inspect, select, text, update
from sqlalchemy.exc import IntegrityError

from app import create_app
from app.accounts.auth import create_applicant
from app.data.demo import EXPERT_POOLS
from app.platform.extensions import db
from app.review import voting
from models import (
    Attachment,
    AuditEvent,
    Declaration,
    Expert,
    GroupDeclaration,
    GroupExpert,
    Meeting,
    ReviewEvent,
    ReviewGroup,
    VoteCast,
)
from tests.committee import SECRETARY, account, close, evaluate, prepare, present_experts, vote
from tests.conftest import APPLICANT_ID, csrf_token, login, outbox, page_text
from tests.declaring import act, status_of
from tests.review.conftest import OTHER_ID, OTHER_PHONE, received

THIRD_ID, THIRD_PHONE = "110105194912310029", "13700000008"


# -- a ballot cannot be flipped ---------------------------------------------------

def test_a_conflict_after_the_groups_first_ballot_is_refused(app, client, decl):
    group = prepare(app, [decl], present=4)
    experts = present_experts(app, group)
    vote(app, group, decl, ["yes", "yes", "no", "no"])   # 2 of 4: fails under 2/3
    login(client, experts[2])
    token = csrf_token(client, f"/expert/{decl}")
    response = client.post(f"/expert/{decl}/conflict", data={"reason": "亲属关系", "csrf_token": token},
                           follow_redirects=True)
    assert "本组已开始投票，不能再申明回避" in page_text(response)
    close(app, group)
    with app.app_context():
        entry = db.session.scalar(select(GroupDeclaration))
        assert (entry.yes, entry.no, entry.present, entry.passed) == (2, 2, 4, False)
    assert status_of(app, decl) == "rejected"


def test_a_conflict_before_any_ballot_still_recuses(app, client, decl):
    group = prepare(app, [decl])
    first = present_experts(app, group)[0]
    login(client, first)
    token = csrf_token(client, f"/expert/{decl}")
    client.post(f"/expert/{decl}/conflict", data={"reason": "同学关系", "csrf_token": token})
    assert client.get(f"/expert/{decl}").status_code == 404


def test_the_close_checks_the_tally_and_writes_nothing_when_it_does_not_hold(app, decl):
    group = prepare(app, [decl], present=4)
    vote(app, group, decl, ["yes", "yes", "no", "no"])
    with app.app_context():   # an extra 同意 slipped into the urn by someone with database access
        db.session.execute(update(GroupDeclaration).values(yes=GroupDeclaration.yes + 1))
        db.session.commit()
    with pytest.raises(voting.TallyMismatch, match="表决记录与到会专家不一致"):
        close(app, group)
    with app.app_context():
        assert db.session.get(ReviewGroup, group).vote_closed_at is None
        assert db.session.scalar(select(GroupDeclaration.passed)) is None
        assert db.session.query(AuditEvent).filter_by(action="meeting.tally_mismatch").count() == 1
    assert status_of(app, decl) == "committee_review"


def test_a_voter_who_became_recused_after_voting_stops_the_close(app, decl):
    group = prepare(app, [decl], present=4)
    experts = present_experts(app, group)
    vote(app, group, decl, ["yes", "yes", "no", "no"])
    with app.app_context():   # e.g. units merged: the third voter now works at the applicant's unit
        unit_id = db.session.get(Declaration, decl).unit_id
        expert = db.session.scalar(select(Expert).join(Expert.account).where(
            Expert.account.has(username=experts[2])))
        expert.unit_id = unit_id
        db.session.commit()
    with pytest.raises(voting.TallyMismatch):
        close(app, group)
    assert status_of(app, decl) == "committee_review"


def test_the_database_refuses_a_tally_beyond_the_experts_present(app, decl):
    group = prepare(app, [decl], present=4)
    vote(app, group, decl, ["yes"] * 4)
    close(app, group)
    with app.app_context(), pytest.raises(IntegrityError):
        db.session.execute(update(GroupDeclaration).values(yes=5))
        db.session.commit()


# -- nothing links a ballot to its expert ------------------------------------------

def _kendall(order: list[int]) -> float:
    """Kendall's tau between positions 0..n-1 and `order` (1: same order)."""
    pairs = list(combinations(range(len(order)), 2))
    score = sum((order[j] > order[i]) - (order[j] < order[i]) for i, j in pairs)
    return score / len(pairs)


def _physical(table: str, columns: str, postgres: bool) -> list[tuple]:
    """The rows of `table` in the order they lie in storage, with the
    inserting transaction on PostgreSQL."""
    if postgres:
        sql = f"SELECT {columns}, xmin::text FROM {table} ORDER BY ctid"
    else:
        sql = f"SELECT {columns}, '' FROM {table} ORDER BY rowid"
    return [tuple(r) for r in db.session.execute(text(sql))]   # nosec B608 - test SQL, fixed names


def _row_counts() -> dict[str, int]:
    return {t: db.session.execute(text(f'SELECT count(*) FROM "{t}"')).scalar()   # nosec B608 - table names
            for t in inspect(db.engine).get_table_names()}


def test_no_stored_order_matches_the_order_of_voting(app, client):
    """Six experts vote on three declarations in a known order; afterwards no
    column, key, transaction id or storage order of any table follows it."""
    with app.app_context():
        create_applicant("王芳", OTHER_ID, "wf@example.com", OTHER_PHONE, "abc12345")
        create_applicant("赵强", THIRD_ID, "zq@example.com", THIRD_PHONE, "abc12345")
    decls = [received(app, client), received(app, client, OTHER_ID), received(app, client, THIRD_ID)]
    group = prepare(app, decls)
    experts = present_experts(app, group)
    choices = {decls[0]: ["yes", "no", "yes", "abstain", "no", "yes"],
               decls[1]: ["no", "yes", "abstain", "yes", "yes", "no"],
               decls[2]: ["abstain", "abstain", "yes", "no", "yes", "yes"]}
    with app.app_context():
        expert_ids = {u: db.session.scalar(select(Expert.id).join(Expert.account).where(
            Expert.account.has(username=u))) for u in experts}
        before = _row_counts()
    cast_order = []   # (declaration, expert) and (declaration, choice) in the order of casting
    for i, username in enumerate(experts):
        for decl in decls:
            with app.test_request_context():
                voting.cast(account(username), decl, choices[decl][i])
            cast_order.append((decl, expert_ids[username], choices[decl][i]))
    with app.app_context():
        after = _row_counts()
        changed = {t for t in after if after[t] != before[t]}
        assert changed == {"vote_cast"}, changed   # no audit row, no message, no ballot row while open
    close(app, group)
    with app.app_context():
        postgres = db.engine.dialect.name == "postgresql"
        position = {(d, e): n for n, (d, e, _) in enumerate(cast_order)}
        voted = _physical("vote_cast", "declaration_id, expert_id, id", postgres)
        assert len(voted) == 18
        by_storage = [position[(d, e)] for d, e, _, _ in voted]
        by_id = [position[(d, e)] for d, e, _, _ in sorted(voted, key=lambda r: r[2])]
        for order in (by_storage, by_id):
            assert abs(_kendall(order)) < 0.7, order
        ballots = _physical("ballot", "declaration_id, choice, id", postgres)
        expected = [(d, c) for d, _, c in cast_order]
        for rows in (ballots, sorted(ballots, key=lambda r: r[2])):
            same = sum(a == b for a, b in zip([(d, c) for d, c, _, _ in rows], expected))
            assert same < 11, (same, rows)   # in casting order all 18 would match; by chance about 2
        if postgres:   # all written by the close, in one transaction
            assert len({x for *_, x in voted}) == 1 and len({x for *_, x in ballots}) == 1
            assert {x for *_, x in voted} == {x for *_, x in ballots}
        for d in decls:   # the committee's recount matches the stored tally
            entry = db.session.scalar(select(GroupDeclaration).where(GroupDeclaration.declaration_id == d))
            assert voting.recount(group, d) == {k: v for k, v in
                                                (("yes", entry.yes), ("no", entry.no), ("abstain", entry.abstain))
                                                if v}


# -- the applicant never reads the tally or the experts ------------------------------

TALLY = re.compile(r"\d+\s*票|应到|实到|表决结果|同意\s*\d")


def test_no_applicant_facing_output_carries_the_tally_or_the_experts(app, client, decl):
    group = evaluate(app, [decl], {decl: ["yes", "yes", "yes", "yes", "no", "abstain"]})
    login(client, "zcb")
    assert act(client, decl, "approve").status_code == 302
    with app.app_context():
        names = list(db.session.scalars(select(Expert.name).join(GroupExpert).where(GroupExpert.group_id == group)))
    assert len(names) == 6

    def clean(label, content):
        assert not TALLY.search(content), (label, TALLY.search(content).group(0))
        for name in names:
            assert name not in content, (label, name)

    login(client, APPLICANT_ID)
    for path in ("/", "/declaration/flow", "/messages/", f"/print/{decl}/summary", f"/print/{decl}/review"):
        response = client.get(path, follow_redirects=True)
        assert response.status_code == 200, path
        clean(path, page_text(response))
    for path in (f"/print/{decl}/summary.pdf", f"/print/{decl}/review.pdf"):
        response = client.get(path)
        assert response.status_code == 200, path
        clean(path, "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages))
    workbook = load_workbook(io.BytesIO(client.get(f"/print/{decl}/review.xlsx").data))
    clean("review.xlsx", " ".join(str(c.value) for ws in workbook for row in ws.iter_rows() for c in row
                                  if c.value is not None))
    archive = zipfile.ZipFile(io.BytesIO(client.get("/declaration/my-data.zip").data))
    clean("my-data.zip", " ".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist()))
    for message in outbox(app):
        clean("SMS", message["text"])
    api = client.post("/api/v1/security/login", json={"username": APPLICANT_ID, "password": "Demo2026"})
    clean("API", api.get_data(as_text=True))
    assert "经评委会无记名投票表决，评审通过" in page_text(client.get("/declaration/flow"))


# -- the pass share and the quorum have a floor ---------------------------------------

@pytest.mark.parametrize("threshold", ["1%", "0.5", "1/3", "50%", "0.66"])
def test_a_pass_share_below_two_thirds_is_refused(app, client, threshold):
    login(client, SECRETARY)
    form = {"name": "测试会议", "year": "2026", "held_on": "2026-12-10", "place": "会议室", "threshold": threshold,
            "csrf_token": csrf_token(client, "/meetings/")}
    response = client.post("/meetings/new", data=form)
    assert response.status_code == 400 and "通过比例不能低于2/3" in page_text(response)
    with app.app_context():
        assert db.session.query(Meeting).count() == len(EXPERT_POOLS)   # the demo meetings only
    for allowed in ("2/3", "0.8", "1"):
        form["threshold"], form["name"] = allowed, f"会议{allowed}"
        assert client.post("/meetings/new", data=form).status_code == 302, allowed


@pytest.mark.parametrize("key, value", [("REVIEW_QUORUM", "1/2"), ("REVIEW_PASS_THRESHOLD", "0.5"),
                                        ("REVIEW_QUORUM", "1%")])
def test_the_configured_defaults_may_not_go_below_the_minimum(app, key, value):
    overrides = {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], key: value}
    with pytest.raises(RuntimeError, match=key):
        create_app("test", overrides)


def test_a_meeting_lowered_in_the_database_cannot_close(app, decl):
    group = prepare(app, [decl], present=6)
    vote(app, group, decl, ["yes", "yes", "no", "no", "no", "no"])
    with app.app_context():
        db.session.execute(update(Meeting).values(threshold=0.3))
        db.session.commit()
    with pytest.raises(voting.TallyMismatch, match="通过比例低于规定的最低比例"):
        close(app, group)
    assert status_of(app, decl) == "committee_review"


# -- an expert's access ends with their work; no identity document ------------------

def test_expert_sees_no_identity_document_and_loses_access_when_the_vote_closes(app, client, decl):
    group = prepare(app, [decl])
    expert = present_experts(app, group)[0]
    with app.app_context():
        files = dict(db.session.execute(select(Attachment.kind, Attachment.id).where(
            Attachment.declaration_id == decl, Attachment.kind.in_(("id_card", "photo")))).all())
    login(client, expert)
    show = page_text(client.get(f"/expert/{decl}"))
    assert f"/attachments/{files['photo']}" in show and f"/attachments/{files['id_card']}" not in show
    assert client.get(f"/attachments/{files['photo']}").status_code == 200
    assert client.get(f"/attachments/{files['id_card']}").status_code == 404
    assert APPLICANT_ID not in show and f"{APPLICANT_ID[:4]}**********{APPLICANT_ID[-4:]}" in show
    login(client, "baili_hr")   # the unit still sees the identity document
    assert client.get(f"/attachments/{files['id_card']}").status_code == 200
    vote(app, group, decl, ["yes"] * 6)
    close(app, group)
    login(client, expert)
    for path in (f"/expert/{decl}", f"/print/{decl}/summary", f"/print/{decl}/review.pdf",
                 f"/print/{decl}/review.xlsx", f"/attachments/{files['photo']}"):
        assert client.get(path).status_code == 404, path
    assert f"/expert/{decl}" not in page_text(client.get("/expert/"))
    with app.app_context():
        assert db.session.scalar(select(VoteCast.id)) is not None   # the record of who voted stays
        assert db.session.query(ReviewEvent).filter_by(action="pass").count() == 1
