"""Stored files (#11): the S3 backend against an S3 API over HTTP, downloads
behind the scope check, copying a local folder into the bucket, nothing
orphaned, a clear message when the disk refuses, and what a restore without
the files looks like."""
import hashlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from app.platform import files
from app.platform.extensions import db
from app.platform.storage import SAVE_FAILED, LocalStorage, StorageMissing, make_storage, storage
from models import Attachment
from tests.conftest import APPLICANT_ID, login, page_text
from tests.declaring import basic, declaration_id, fill, post, upload
from tests.images import jpeg


def start_declaration(app, client):
    login(client, APPLICANT_ID)
    assert post(client, "/declaration/basic", basic(app)).status_code == 302


def attachments(app):
    with app.app_context():
        return list(db.session.scalars(select(Attachment).order_by(Attachment.id)))


def test_s3_backend_operations(app, bucket, ctx):
    client, name = bucket
    s3 = storage()
    assert s3.name == "s3"
    s3.save("abc.jpg", b"data")
    assert client.get_object(Bucket=name, Key="abc.jpg")["Body"].read() == b"data"
    assert s3.read("abc.jpg") == b"data" and s3.exists("abc.jpg")
    assert [k for k, _ in s3.keys()] == ["abc.jpg"]
    s3.delete("abc.jpg")
    assert not s3.exists("abc.jpg")
    with pytest.raises(StorageMissing):
        s3.read("abc.jpg")
    with pytest.raises(ValueError):
        s3.save("../x", b"")


def test_upload_and_download_through_the_bucket_behind_the_scope_check(app, client, bucket):
    s3_client, name = bucket
    start_declaration(app, client)
    response = upload(client, "basic", "id_card")
    assert response.json["ok"], response.json
    [attachment] = attachments(app)
    stored = s3_client.get_object(Bucket=name, Key=attachment.storage_key)["Body"].read()
    assert not Path(app.config["UPLOAD_DIR"]).exists()       # nothing on this host's disk
    download = client.get(f"/attachments/{attachment.id}")
    assert download.status_code == 200 and download.data == stored
    stranger = app.test_client()
    login(stranger, "gc_pwh")            # a committee that does not see this declaration
    assert stranger.get(f"/attachments/{attachment.id}").status_code == 404


def test_storage_copy_moves_local_files_into_the_bucket_and_verifies_them(app, bucket, tmp_path):
    s3_client, name = bucket
    local = LocalStorage(str(tmp_path / "old"))
    contents = {f"{i:032x}.jpg": jpeg(40 + i, 30) for i in range(3)}
    for key, data in contents.items():
        local.save(key, data)
    result = app.test_cli_runner().invoke(args=["storage-copy", "--from-dir", str(tmp_path / "old")])
    assert result.exit_code == 0 and "已复制并校验 3 个文件" in result.output, result.output
    for key, data in contents.items():
        body = s3_client.get_object(Bucket=name, Key=key)["Body"].read()
        assert hashlib.sha256(body).digest() == hashlib.sha256(data).digest()


def test_storage_copy_refuses_without_a_bucket(app):
    result = app.test_cli_runner().invoke(args=["storage-copy"])
    assert result.exit_code != 0 and "STORAGE_BACKEND=s3" in result.output


def test_an_unwritable_disk_gives_the_message_and_leaves_nothing(app, client, tmp_path, monkeypatch):
    start_declaration(app, client)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(blocker / "uploads"))
    response = upload(client, "basic", "id_card")
    assert response.status_code == 503 and response.json == {"ok": False, "message": SAVE_FAILED}
    assert attachments(app) == []


def test_a_failed_commit_removes_the_written_file(app, client, monkeypatch):
    start_declaration(app, client)
    from app.declaration import attachments as module

    def broken_add(obj):
        raise RuntimeError("worker killed before the commit")
    monkeypatch.setattr(module.db.session, "add", broken_add)
    assert upload(client, "basic", "id_card").status_code == 500
    monkeypatch.undo()
    assert attachments(app) == []
    with app.app_context():
        assert list(storage().keys()) == []


def test_the_sweep_removes_old_orphans_keeps_young_ones_and_reports_missing_files(app, client):
    start_declaration(app, client)
    assert upload(client, "basic", "id_card").json["ok"]
    [attachment] = attachments(app)
    with app.app_context():
        store = storage()
        store.save("0" * 32 + ".jpg", b"orphan")        # a file whose row never committed
        report = files.sweep()
        assert report.orphans == ["0" * 32 + ".jpg"] and report.removed == [] and report.missing == []
        later = datetime.now(timezone.utc) + timedelta(hours=app.config["STORAGE_ORPHAN_GRACE_HOURS"] + 1)
        report = files.sweep(now=later)
        assert report.removed == ["0" * 32 + ".jpg"] and not store.exists("0" * 32 + ".jpg")
        assert store.exists(attachment.storage_key)      # a file with its row is never touched
        store.delete(attachment.storage_key)
        assert files.sweep(now=later).missing == [("attachment", attachment.id, attachment.storage_key)]


def test_restore_without_files_is_reported_and_nothing_answers_500(app, client):
    login(client, APPLICANT_ID)
    fill(client, app)
    assert "请上传" not in page_text(client.get("/declaration/check"))
    # the database is restored, the upload folder is not
    import shutil
    shutil.rmtree(app.config["UPLOAD_DIR"])
    result = app.test_cli_runner().invoke(args=["check-storage"])
    lost = attachments(app)
    assert result.exit_code == 1 and f"共 {len(lost)} 个附件文件缺失" in result.output
    assert f"附件 {lost[0].id}" in result.output
    check = page_text(client.get("/declaration/check"))
    assert "请上传" in check and "文件已丢失" in check          # 完整性检查 no longer says complete
    response = client.get(f"/attachments/{lost[0].id}")
    assert response.status_code == 404 and "附件文件缺失" in page_text(response)
    decl = declaration_id(app)
    for path in (f"/print/{decl}/review", f"/print/{decl}/review.pdf", f"/print/{decl}/summary"):
        assert client.get(path).status_code == 200, path
    assert client.get("/declaration/my-data.zip").status_code == 200


def test_check_storage_is_quiet_when_all_is_there(app, client):
    start_declaration(app, client)
    assert upload(client, "basic", "id_card").json["ok"]
    result = app.test_cli_runner().invoke(args=["check-storage"])
    assert result.exit_code == 0 and "共 0 个附件文件缺失" in result.output


def test_s3_settings_are_required(app):
    with pytest.raises(RuntimeError):
        make_storage({"STORAGE_BACKEND": "s3", "UPLOAD_DIR": "/tmp"})
