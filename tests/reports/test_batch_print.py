"""Batch printouts (#11): the 评审表 PDFs of ticked declarations in one zip,
made by a tracked job, only of the declarations the person may see."""
import io
import zipfile

from app.platform.extensions import db
from models import ExportJob
from tests.conftest import APPLICANT_ID, csrf_token, login
from tests.declaring import declaration_id, fill, submit


def test_batch_print_zips_the_visible_review_forms(app, client):
    login(client, APPLICANT_ID)
    fill(client, app)
    submit(client)
    own = declaration_id(app)
    login(client, "zcb")
    token = csrf_token(client, "/review/?tab=all")
    response = client.post("/review/print-batch", data={"ids": [str(own), "999999", "x"], "csrf_token": token})
    assert response.status_code == 302
    url = response.headers["Location"]
    state = client.get(url, headers={"Accept": "application/json"}).json
    assert state["status"] == "done" and state["total"] == 1
    download = client.get(state["url"])
    assert download.mimetype == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(download.data)).namelist()
    assert names == [f"{own:06d}_张明_评审表.pdf"]
    assert zipfile.ZipFile(io.BytesIO(download.data)).read(names[0]).startswith(b"%PDF")


def test_batch_print_refuses_applicants_and_empty_ticks(app, client):
    login(client, APPLICANT_ID)
    token = csrf_token(client, "/account/password")
    assert client.post("/review/print-batch", data={"ids": ["1"], "csrf_token": token}).status_code in (302, 403)
    with app.app_context():
        assert db.session.query(ExportJob).count() == 0
    login(client, "zcb")
    token = csrf_token(client, "/review/?tab=all")
    response = client.post("/review/print-batch", data={"csrf_token": token}, follow_redirects=True)
    assert "请先勾选申报" in response.get_data(as_text=True)
