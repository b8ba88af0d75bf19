"""Attachments (D17, B3): the content decides, bombs are refused, phone
photos are turned upright, stripped and made to fit, counts hold, and a
failed upload leaves nothing behind."""
import io
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.platform.extensions import db
from models import Attachment
from tests import images
from tests.conftest import APPLICANT_ID, csrf_token, login
from tests.declaring import ROWS, basic, post, row_ids, upload


@pytest.fixture
def applicant(app, client):
    login(client, APPLICANT_ID)
    assert post(client, "/declaration/basic", basic(app)).status_code == 302
    return client


def stored_files(app):
    root = Path(app.config["UPLOAD_DIR"])
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def count_rows(app):
    with app.app_context():
        return db.session.scalar(select(func.count(Attachment.id)))


def fetch(client, response):
    return client.get(response.json["attachment"]["url"])


def test_jpeg_upload_preview_download_delete(app, applicant):
    response = upload(applicant, "basic", "photo", content=images.jpeg(), name="我的照片.jpg")
    assert response.status_code == 200 and response.json["ok"]
    served = fetch(applicant, response)
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Cache-Control"] == "no-store"
    assert served.headers["Content-Disposition"].startswith("inline")
    assert "%E6%88%91%E7%9A%84%E7%85%A7%E7%89%87.jpg" in served.headers["Content-Disposition"]
    download = applicant.get(response.json["attachment"]["url"] + "?download=1")
    assert download.headers["Content-Disposition"].startswith("attachment")
    files = stored_files(app)
    assert len(files) == 1 and "static" not in str(files[0]) and "我的照片" not in files[0].name
    from tests.conftest import csrf_token
    token = csrf_token(applicant, "/declaration/basic")
    assert applicant.post(response.json["attachment"]["delete_url"], data={"csrf_token": token}).json["ok"]
    assert stored_files(app) == [] and count_rows(app) == 0


def test_png_is_converted(app, applicant):
    response = upload(applicant, "basic", "photo", content=images.png(), name="scan.png")
    assert response.json["ok"]
    image = Image.open(io.BytesIO(fetch(applicant, response).data))
    assert image.format == "JPEG" and image.mode == "RGB"


def test_phone_photo_is_made_to_fit(app, applicant):
    raw = images.noisy_jpeg()
    assert len(raw) > 2_000_000
    response = upload(applicant, "basic", "photo", content=raw, name="IMG_0001.JPG")
    assert response.json["ok"], response.json
    data = fetch(applicant, response).data
    assert len(data) < 500 * 1024
    assert response.json["attachment"]["size"] == len(data)


def test_exif_orientation_applied_and_metadata_dropped(app, applicant):
    response = upload(applicant, "basic", "photo", content=images.phone_photo_with_gps())
    image = Image.open(io.BytesIO(fetch(applicant, response).data))
    assert image.size == (300, 600)          # turned upright
    assert dict(image.getexif()) == {}      # no GPS, no maker, no orientation left


@pytest.mark.parametrize("kind", list(images.fakes()))
def test_not_an_image_is_refused_whatever_its_name(app, applicant, kind):
    response = upload(applicant, "basic", "photo", content=images.fakes()[kind], name="x.jpg")
    assert response.status_code == 400 and not response.json["ok"]
    assert "JPG或PNG" in response.json["message"] or "损坏" in response.json["message"]
    assert stored_files(app) == [] and count_rows(app) == 0


def test_decompression_bomb_refused(app, applicant):
    response = upload(applicant, "basic", "photo", content=images.bomb_png(), name="small.png")
    assert response.status_code == 400 and "像素过大" in response.json["message"]
    assert stored_files(app) == [] and count_rows(app) == 0


def test_empty_and_missing_file(app, applicant):
    assert upload(applicant, "basic", "photo", content=b"").json["message"] == "文件是空的，请重新选择"
    from tests.conftest import csrf_token
    response = applicant.post("/declaration/files", data={"section": "basic", "kind": "photo",
                                                          "csrf_token": csrf_token(applicant, "/declaration/basic")})
    assert response.status_code == 400 and "请选择要上传的图片" in response.json["message"]


def test_counts_are_enforced_on_the_server(app, applicant):
    assert upload(applicant, "basic", "id_card").json["ok"]
    second = upload(applicant, "basic", "id_card")
    assert second.status_code == 400 and "身份证附件最多上传1个" in second.json["message"]
    post(applicant, "/declaration/papers/new", ROWS["papers"][0])
    paper = row_ids(app, "papers")[0]
    for _ in range(10):
        assert upload(applicant, "papers", "pages", row=paper).json["ok"]
    eleventh = upload(applicant, "papers", "pages", row=paper)
    assert eleventh.status_code == 400 and "最多上传10个" in eleventh.json["message"]
    assert count_rows(app) == 11 and len(stored_files(app)) == 11


def test_attachments_only_after_saving(app, client):
    login(client, APPLICANT_ID)
    response = upload(client, "basic", "photo")
    assert response.status_code == 400 and "请先填写并保存个人基本信息" in response.json["message"]
    post(client, "/declaration/basic", basic(app, "health"))
    response = upload(client, "health", "physician_license")
    assert response.status_code == 400 and "保存成功后再上传" in response.json["message"]
    response = upload(client, "qualification", "title_certificate")
    assert response.status_code == 400


@pytest.mark.parametrize("section, kind, row", [("basic", "nonsense", None), ("nosuch", "photo", None),
                                                ("basic", "photo", 5), ("papers", "pages", 999999),
                                                ("health", "physician_license", None)])
def test_forged_places_are_refused(app, applicant, section, kind, row):
    response = upload(applicant, section, kind, row=row)
    assert response.status_code == 400 and not response.json["ok"]
    assert count_rows(app) == 0 and stored_files(app) == []


def test_condition_decides_which_attachments_apply(app, applicant):
    from tests.declaring import health_page
    post(applicant, "/declaration/basic", basic(app, "health"))
    post(applicant, "/declaration/education/new", ROWS["education"][0])
    post(applicant, "/declaration/health", health_page(row_ids(app, "education")[0], qualification="4",
                                                        practice_scope=""))
    refused = upload(applicant, "health", "physician_license")
    assert refused.status_code == 400 and "不需要上传医师执业证书" in refused.json["message"]
    assert upload(applicant, "health", "nurse_license").json["ok"]


def test_failed_database_write_leaves_no_file(app, applicant, monkeypatch):
    from app.declaration import attachments

    def broken(declaration):
        raise RuntimeError("database went away")

    monkeypatch.setattr(attachments, "touch", broken)
    response = upload(applicant, "basic", "photo")
    assert response.status_code == 500 and "incident" in response.json
    assert stored_files(app) == [] and count_rows(app) == 0


def test_client_filename_never_reaches_the_disk(app, applicant):
    response = upload(applicant, "basic", "photo", name="../../../../etc/passwd.jpg")
    assert response.json["ok"] and response.json["attachment"]["name"] == "passwd.jpg"
    files = stored_files(app)
    assert len(files) == 1 and files[0].resolve().is_relative_to(Path(app.config["UPLOAD_DIR"]).resolve())


def test_deleting_a_row_removes_its_files(app, applicant):
    post(applicant, "/declaration/papers/new", ROWS["papers"][0])
    paper = row_ids(app, "papers")[0]
    upload(applicant, "papers", "pages", row=paper)
    upload(applicant, "papers", "pages", row=paper)
    assert len(stored_files(app)) == 2
    assert post(applicant, f"/declaration/papers/{paper}/delete", {}).status_code == 302
    assert stored_files(app) == [] and count_rows(app) == 0




# -- phone photos: large ones accepted and shrunk in bounded memory (#9 item 9, #10 item 11, #13) --

@pytest.fixture(scope="module")
def huge_photos():
    return {"IMG_54MP.JPG": images.huge_phone_jpeg(), "screen.png": images.huge_png()}


def test_largest_phone_photos_are_accepted_and_shrunk(app, applicant, huge_photos):
    for name, raw in huge_photos.items():
        assert len(raw) > 26 * 1024 * 1024
        response = upload(applicant, "basic", "photo", content=raw, name=name)
        assert response.status_code == 200 and response.json["ok"], (name, response.status_code, response.json)
        data = fetch(applicant, response).data
        image = Image.open(io.BytesIO(data))
        assert len(data) < 500 * 1024 and max(image.size) <= 2000 and image.format == "JPEG"
        token = csrf_token(applicant, "/declaration/basic")
        assert applicant.post(response.json["attachment"]["delete_url"], data={"csrf_token": token}).json["ok"]


def test_over_the_limit_says_the_limit(app, applicant):
    limit = app.config["UPLOAD_MAX_BYTES"]
    assert limit >= 30 * 1024 * 1024
    response = upload(applicant, "basic", "photo", content=b"\xff\xd8" + b"0" * (limit + 2 * 1024 * 1024))
    assert response.status_code == 413 and f"{limit // 1024 // 1024}MB" in response.json["message"]
    from app.declaration.uploads import UploadRefused, process_image
    with app.app_context(), pytest.raises(UploadRefused, match=f"{limit // 1024 // 1024}MB"):
        process_image(b"\xff\xd8" + b"0" * (limit + 1))
    assert stored_files(app) == [] and count_rows(app) == 0


def test_pixel_bomb_check_holds_for_jpeg_too(app, applicant):
    response = upload(applicant, "basic", "photo", content=images.jpeg_claiming(20000, 20000))
    assert response.status_code == 400 and "像素过大" in response.json["message"]
    assert "20000万像素" in response.json["message"]     # the limit is stated
    response = upload(applicant, "basic", "photo", content=images.bomb_png(), name="small.png")
    assert "1300万像素" in response.json["message"]


def test_photo_kept_at_print_size_upright_and_stripped_in_two_encodes():
    from app.declaration.uploads import process_image
    result = process_image(images.phone_jpeg(orientation=6))
    image = Image.open(io.BytesIO(result.data))
    assert image.height > image.width and max(image.size) <= 2000      # turned upright, print size
    assert dict(image.getexif()) == {} and "icc_profile" not in image.info and "comment" not in image.info
    assert len(result.data) < 500 * 1024 and result.encodes <= 2
    noisy = process_image(images.noisy_jpeg())
    assert len(noisy.data) < 500 * 1024 and noisy.encodes <= 2


MEASURE = """
import resource, sys
sys.path.insert(0, {root!r})
from app.declaration.uploads import process_image
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
with open(sys.argv[1], "rb") as f:
    process_image(f)
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
"""


def _worst_pngs():
    """The largest PNGs accepted, in the modes that need the most memory."""
    from app.declaration.uploads import MAX_PNG_PIXELS
    width = 4000
    height = MAX_PNG_PIXELS // width
    out = {}
    for mode, color, extra in (("RGBA", (1, 2, 3, 100), {}), ("P", 3, {"transparency": 3})):
        buf = io.BytesIO()
        Image.new(mode, (width, height), color).save(buf, "PNG", **extra)
        out[mode] = buf.getvalue()
    return out


def test_one_upload_stays_under_150_mb(tmp_path, huge_photos):
    """Peak memory (resident set, which sees Pillow's own buffers, unlike
    tracemalloc) of processing the largest accepted images, each in a fresh process."""
    import subprocess
    import sys
    root = str(Path(__file__).resolve().parents[2])
    files = {**huge_photos, **{f"max-{mode}.png": raw for mode, raw in _worst_pngs().items()}}
    for name, raw in files.items():
        path = tmp_path / name
        path.write_bytes(raw)
        out = subprocess.run([sys.executable, "-c", MEASURE.format(root=root), str(path)],
                             capture_output=True, text=True, check=True)
        assert int(out.stdout.strip()) <= 150, (name, out.stdout)


def test_a_worker_decodes_two_pictures_at_a_time(monkeypatch):
    """Eight threads uploading at once (a gthread worker) hold at most two
    decoded pictures, so a worker's memory stays bounded; all eight succeed."""
    import threading
    import time

    from app.declaration import uploads

    inside, most, lock = [0], [0], threading.Lock()
    real_process = uploads._process

    def counted(stream):
        with lock:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        try:
            time.sleep(0.05)   # long enough for the other threads to arrive
            return real_process(stream)
        finally:
            with lock:
                inside[0] -= 1

    monkeypatch.setattr(uploads, "_process", counted)
    photo, results = images.jpeg(), []
    threads = [threading.Thread(target=lambda: results.append(uploads.process_image(photo))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 8 and all(r.data[:2] == b"\xff\xd8" for r in results)
    assert most[0] == uploads.DECODES_AT_ONCE


def test_uploads_per_account_per_hour_are_limited(app, applicant):
    app.config["RATE_LIMIT_UPLOADS"] = "3 per hour"
    try:
        answers = [upload(applicant, "basic", "photo", content=images.fakes()["html"]) for _ in range(4)]
        assert [a.status_code for a in answers] == [400, 400, 400, 429]
        assert "上传次数过多" in answers[-1].json["message"]
    finally:
        app.config["RATE_LIMIT_UPLOADS"] = "120 per hour"
