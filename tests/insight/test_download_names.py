"""Uploaded files are offered under a name whose extension, and with a
Content-Type, follow the type found in their content: a %PDF-/HTML polyglot
uploaded as 政策文件.html downloads as 政策文件.pdf (application/pdf), never
as an .html page a browser would open from the download folder."""
import io
from urllib.parse import quote

import pytest
from sqlalchemy import select

from app.platform.extensions import db
from app.platform.files import download_name, file_response
from models import Announcement
from tests.conftest import APPLICANT_ID, login
from tests.declaring import basic, post, upload
from tests.images import jpeg, png
from tests.insight.test_notices import publish

POLYGLOT = (b"%PDF-1.4\n<html><body><script>alert(document.domain)</script></body></html>\n"
            b"1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")


def offered_name(response) -> str:
    header = response.headers["Content-Disposition"]
    assert "filename*=UTF-8''" in header
    return header.split("filename*=UTF-8''", 1)[1]


def test_a_polyglot_policy_file_downloads_as_what_it_is(app, client):
    login(client, "zcb")
    assert publish(client, attachment=(io.BytesIO(POLYGLOT), "政策文件.html")).status_code == 302
    with app.app_context():
        notice = db.session.scalar(select(Announcement))
        assert notice.attachment_name == "政策文件.pdf" and notice.attachment_key.endswith(".pdf")
        notice_id = notice.id
    file = app.test_client().get(f"/notices/{notice_id}/file")
    assert file.status_code == 200 and file.data == POLYGLOT
    assert file.mimetype == "application/pdf"
    assert file.headers["Content-Disposition"].startswith("attachment")
    assert offered_name(file) == quote("政策文件.pdf")
    assert ".html" not in file.headers["Content-Disposition"]
    assert file.headers["X-Content-Type-Options"] == "nosniff"


def test_a_name_stored_before_is_corrected_when_served(app, client):
    login(client, "zcb")
    assert publish(client, attachment=(io.BytesIO(POLYGLOT), "政策文件.pdf")).status_code == 302
    with app.app_context():
        notice = db.session.scalar(select(Announcement))
        notice.attachment_name = "政策文件.html"                      # as the old code kept it
        db.session.commit()
        notice_id = notice.id
    file = app.test_client().get(f"/notices/{notice_id}/file")
    assert offered_name(file) == quote("政策文件.pdf") and file.mimetype == "application/pdf"


def test_an_image_named_as_a_pdf_downloads_as_an_image(app, client):
    login(client, "zcb")
    assert publish(client, attachment=(io.BytesIO(png()), "通知.pdf")).status_code == 302
    with app.app_context():
        notice_id = db.session.scalar(select(Announcement.id))
    file = app.test_client().get(f"/notices/{notice_id}/file")
    assert file.mimetype == "image/png" and offered_name(file) == quote("通知.png")


def test_declaration_attachments_follow_their_content_too(app, client):
    login(client, APPLICANT_ID)
    assert post(client, "/declaration/basic", basic(app)).status_code == 302
    tail = jpeg() + b"<html><script>alert(1)</script></html>"         # a JPEG with an HTML tail
    response = upload(client, "basic", "photo", content=tail, name="证件.html")
    assert response.status_code == 200 and response.json["ok"]
    for query in ("", "?download=1"):
        served = client.get(response.json["attachment"]["url"] + query)
        assert served.mimetype == "image/jpeg" and offered_name(served) == quote("证件.jpg")
        assert b"<script>" not in served.data                          # re-encoded: the tail is gone


@pytest.mark.parametrize("name, suffix, expected", [
    ("政策文件.html", ".pdf", "政策文件.pdf"),
    ("a.b.html", ".pdf", "a.b.pdf"),
    ("C:\\Users\\x\\通知.svg", ".png", "通知.png"),
    ('"evil".html', ".pdf", "evil.pdf"),
    ("...", ".pdf", "附件.pdf"),
    (None, ".jpg", "附件.jpg"),
    ("无扩展名", ".pdf", "无扩展名.pdf"),
])
def test_download_name(name, suffix, expected):
    assert download_name(name, suffix) == expected


def test_unknown_content_is_offered_as_bytes(app):
    with app.test_request_context("/"):
        response = file_response(b"<html><script>alert(1)</script></html>", "page.html", inline=True)
    assert response.mimetype == "application/octet-stream" and offered_name(response) == "page.bin"
