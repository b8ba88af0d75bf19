"""The printouts as a person sees them: the preview opens from the basic
page in a new tab, and 导出PDF downloads the file; the public certificate
check answers in the browser."""
from tests.browser.conftest import shot, sign_in
from tests.conftest import APPLICANT_ID, login
from tests.declaring import fill


def test_preview_and_download(app, live_server, page, tmp_path):
    client = app.test_client()
    login(client, APPLICANT_ID)
    fill(client, app, "health")
    sign_in(page, live_server, APPLICANT_ID)
    page.goto(live_server + "/declaration/basic")
    with page.context.expect_page() as opened:
        page.click("#print-summary")
    preview = opened.value
    preview.wait_for_load_state()
    assert "卫生技术人员申报专业技术资格情况简表" in preview.inner_text("body")
    shot(preview, "print-01-summary-preview")
    with preview.expect_download() as download:
        preview.click("#download-pdf")
    path = tmp_path / "summary.pdf"
    download.value.save_as(path)
    assert path.read_bytes()[:5] == b"%PDF-"
    with page.context.expect_page() as opened:
        page.click("#print-review")
    review = opened.value
    review.wait_for_load_state()
    with review.expect_download() as download:
        review.click("#download-xlsx")
    assert download.value.suggested_filename.endswith("评审表.xlsx")
    shot(review, "print-02-review-preview")


def test_verify_page(live_server, page):
    page.goto(live_server + "/verify/?no=2026-05-00001")
    assert page.input_value("#no") == "2026-05-00001"
    page.fill("#name", "张明")
    page.click("#verify-button")
    page.wait_for_selector("#verify-invalid")
    shot(page, "print-03-verify")
