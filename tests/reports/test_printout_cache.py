"""Printouts are kept per version of what they show, and a person renders one
at a time within a limit (#13, #10 item 10)."""
from app.platform.kvstore import kv
from tests.conftest import APPLICANT_ID
from tests.declaring import post


def kept_files(app) -> list:
    from pathlib import Path
    return sorted(p.name for p in Path(app.config["UPLOAD_DIR"]).rglob("pdf*.pdf"))


def test_an_unchanged_printout_is_not_rendered_again(app, client, declared, renders):
    first = client.get(f"/print/{declared}/summary.pdf")
    second = client.get(f"/print/{declared}/summary.pdf")
    assert first.status_code == second.status_code == 200
    assert first.data == second.data and len(renders) == 1
    assert client.get(f"/print/{declared}/review.pdf").status_code == 200
    assert len(renders) == 2                                   # another form is its own printout


def test_a_change_makes_a_new_printout_and_drops_the_old_one(app, client, declared, renders):
    client.get(f"/print/{declared}/summary.pdf")
    [old] = kept_files(app)
    assert post(client, "/declaration/achievements", {"content": "新的业绩成果说明文字"}).status_code == 302
    pdf = client.get(f"/print/{declared}/summary.pdf")
    assert pdf.status_code == 200 and len(renders) == 2
    assert "新的业绩成果说明文字" in renders[-1]
    assert kept_files(app) != [old] and len(kept_files(app)) == 1


def test_one_render_at_a_time_per_person(app, client, declared, renders):
    with app.app_context():
        from sqlalchemy import select

        from app.platform.extensions import db
        from models import Account
        user_id = db.session.scalar(select(Account.id).where(Account.id_number_is(APPLICANT_ID)))
        kv().add(f"print-lock:{user_id}", "1", 60)              # a render of theirs is running
    response = client.get(f"/print/{declared}/summary.pdf")
    assert response.status_code == 429 and "正在生成" in response.get_data(as_text=True)
    assert renders == []
    with app.app_context():
        kv().delete(f"print-lock:{user_id}")
    assert client.get(f"/print/{declared}/summary.pdf").status_code == 200


def test_renders_per_person_are_limited(app, client, declared, renders, monkeypatch):
    monkeypatch.setitem(app.config, "PRINT_RATE_LIMIT", "2 per minute")
    for i in range(2):
        post(client, "/declaration/achievements", {"content": f"第{i}版"})
        assert client.get(f"/print/{declared}/summary.pdf").status_code == 200
    assert client.get(f"/print/{declared}/summary.pdf").status_code == 200    # unchanged: kept, not counted
    post(client, "/declaration/achievements", {"content": "第三版"})
    refused = client.get(f"/print/{declared}/summary.pdf")
    assert refused.status_code == 429 and "打印过于频繁" in refused.get_data(as_text=True)
    assert len(renders) == 2


def test_the_photo_is_printed_at_print_resolution():
    import io

    from PIL import Image

    from reports.content import PHOTO_PRINT_PIXELS, print_size
    big = io.BytesIO()
    Image.new("RGB", (1500, 2000), (200, 30, 30)).save(big, format="JPEG", quality=95)
    small = Image.open(io.BytesIO(print_size(big.getvalue())))
    assert small.size[0] <= PHOTO_PRINT_PIXELS[0] and small.size[1] <= PHOTO_PRINT_PIXELS[1]
    assert small.size[0] >= 290                                 # still 300 dpi at 2.5 cm
    tiny = io.BytesIO()
    Image.new("RGB", (120, 160)).save(tiny, format="JPEG")
    assert print_size(tiny.getvalue()) == tiny.getvalue()       # a small one is kept as it is
