"""The public address (PUBLIC_BASE_URL): QR codes and every other absolute
link are made from it, in a web request whatever its Host header and on the
job worker; production refuses to start without it and refuses requests for
a Host it does not answer to, while the load balancer's probes still answer."""
import json

import pytest
import segno
from sqlalchemy import select

from app import create_app
from app.platform import jobs
from app.platform.extensions import db
from app.platform.web import public_url
from models import Account, Declaration, ExportJob
from tests.conftest import APPLICANT_ID, CAPTCHA, login, logout, page_text
from tests.declaring import act, declaration_id, fill, submit

PUBLIC = "https://zc.example.gov.cn"
EVIL = {"Host": "evil.example"}


@pytest.fixture
def public(app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", PUBLIC)
    return PUBLIC


@pytest.fixture
def qr_payloads(monkeypatch):
    """What each QR code encodes, as handed to the QR maker."""
    seen = []
    make = segno.make

    def recording(content, *args, **kwargs):
        seen.append(content)
        return make(content, *args, **kwargs)
    monkeypatch.setattr(segno, "make", recording)
    return seen


@pytest.fixture
def certified(app, client):
    """张明's declaration approved to the end: it carries a certificate number (and a QR code)."""
    login(client, APPLICANT_ID)
    fill(client, app)
    own = declaration_id(app)
    assert submit(client).status_code == 302
    logout(client)
    for username, action in (("baili_hr", "approve"), ("gxj_zc", "approve"), ("gc_pwh", "receive")):
        login(client, username)
        act(client, own, action)
    from tests.committee import evaluate
    evaluate(app, [own])
    login(client, "zcb")
    act(client, own, "approve")
    with app.app_context():
        number = db.session.get(Declaration, own).certificate_no
    assert number
    return own, number


def get_with_host(app, client, path):
    """A signed-in person's request sent with another Host header (the test
    client would send its cookie to its own host only)."""
    cookie = client.get_cookie("zc_session")
    return app.test_client(use_cookies=False).get(path, headers={**EVIL, "Cookie": f"zc_session={cookie.value}"})


def test_public_url_ignores_the_host_of_the_request(app, public):
    with app.test_request_context("/", headers=EVIL):
        assert public_url("VerifyView.index", no="2026-05-00001") == f"{PUBLIC}/verify/?no=2026-05-00001"
    with app.app_context():                              # no request at all (the job worker)
        assert public_url("VerifyView.index") == f"{PUBLIC}/verify/"


def test_a_path_prefix_of_the_public_address_is_kept(app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://gov.example/zc")
    with app.app_context():
        assert public_url("VerifyView.index", no="1") == "https://gov.example/zc/verify/?no=1"


def test_printouts_and_the_certificate_encode_the_public_address_whatever_the_host(
        app, client, certified, public, qr_payloads):
    own, number = certified
    expected = f"{PUBLIC}/verify/?no={number}"
    preview = page_text(get_with_host(app, client, f"/print/{own}/summary"))
    from reports.content import qr_uri
    assert qr_uri(expected) in preview                     # the very image of the public link
    for path in (f"/print/{own}/review.pdf", f"/print/{own}/summary.pdf", f"/certificate/{own}.pdf"):
        qr_payloads.clear()
        response = get_with_host(app, client, path)
        assert response.status_code == 200, path
        assert response.data.startswith(b"%PDF")
        assert qr_payloads and set(qr_payloads) == {expected}, (path, qr_payloads)


def test_batch_printouts_on_the_job_worker_encode_the_public_address(app, certified, public, qr_payloads):
    """The work horse runs a job as jobs._call does: no request of a person, no Host to follow."""
    own, number = certified
    from reports.exports import PRINT_TASK
    with app.app_context():
        zcb = db.session.scalar(select(Account.id).where(Account.username == "zcb"))
        job = ExportJob(account_id=zcb, kind="printout", criteria=json.dumps({"ids": [own]}), total=1, attempt=1)
        db.session.add(job)
        db.session.commit()
        jobs._call(db, PRINT_TASK, (job.id, 1), {})
        db.session.expire_all()
        assert db.session.get(ExportJob, job.id).status == "done"
    assert qr_payloads == [f"{PUBLIC}/verify/?no={number}"]


def production(app, **changes):
    settings = {"SECRET_KEY": "p" * 48, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                "FIELD_ENCRYPTION_KEYS": app.config["FIELD_ENCRYPTION_KEYS"],
                "FIELD_HMAC_KEY": app.config["FIELD_HMAC_KEY"], "INSTANCE_DIR": app.config["INSTANCE_DIR"],
                "UPLOAD_DIR": app.config["UPLOAD_DIR"], "REDIS_URL": None, "JOB_REDIS_URL": None,
                "RATELIMIT_STORAGE_URI": "memory://", "PUBLIC_BASE_URL": PUBLIC, "EXTRA_ALLOWED_HOSTS": ""}
    settings.update(changes)
    return create_app("production", settings)


def test_production_refuses_to_start_without_a_public_address(app, monkeypatch):
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL must be set"):
        production(app, PUBLIC_BASE_URL=None)
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL must be an http"):
        production(app, PUBLIC_BASE_URL="zc.example.gov.cn")
    from config import ProductionConfig
    assert ProductionConfig.REFUSE_UNKNOWN_HOSTS is True


def test_production_refuses_an_unknown_host_but_answers_the_probes(app):
    prod = production(app, EXTRA_ALLOWED_HOSTS="zc.intranet")
    web = prod.test_client()
    assert web.get("/login/", headers={"Host": "zc.example.gov.cn"}).status_code == 200
    assert web.get("/login/", headers={"Host": "ZC.example.gov.cn:443"}).status_code == 200
    assert web.get("/login/", headers={"Host": "zc.intranet"}).status_code == 200
    for host in ("evil.example", "zc.example.gov.cn.evil.example", "localhost", "10.0.0.11:8000"):
        refused = web.get("/login/", headers={"Host": host})
        assert refused.status_code == 400, host
        assert "访问地址不正确" in page_text(refused)
    forged = web.post("/login/", headers=EVIL, data={"username": "zcb", "password": "x", "captcha": CAPTCHA})
    assert forged.status_code == 400
    # the load balancer probes each instance at its own address
    assert web.get("/healthz", headers={"Host": "10.0.0.11:8000"}).status_code == 200
    assert web.get("/readyz", headers={"Host": "10.0.0.11:8000"}).status_code == 200


def test_other_configurations_accept_any_host(client):
    assert client.get("/login/", headers=EVIL).status_code == 200
