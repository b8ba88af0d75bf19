"""A person fills in all twelve common sections and the 卫生技术 page in the
browser, uploads a phone-sized photo and the certificates, and ends with an
empty completeness check. Screenshots are saved under tests/screenshots/."""
from tests.browser.conftest import shot, sign_in
from tests.conftest import APPLICANT_ID
from tests.declaring import ROWS, SINGLE, health_page
from tests.images import jpeg, noisy_jpeg


def fill_form(page, data):
    """Type or choose each value as a person would."""
    for name, value in data.items():
        if name == "unit_id" or value == "":
            continue
        element = page.locator(f'#section-form [name="{name}"]').first
        tag = element.evaluate("e => e.tagName + ':' + (e.type || '')")
        if tag.startswith("SELECT"):
            page.select_option(f'#section-form select[name="{name}"]', value)
        elif tag.endswith(":radio"):
            page.check(f'#section-form [name="{name}"][value="{value}"]')
        else:
            element.fill(value)


def save(page, expect="保存成功"):
    page.click("#save-button")
    page.wait_for_selector(f"text={expect}")


def add_rows(page, base, key, rows):
    page.goto(f"{base}/declaration/{key}")
    for i, row in enumerate(rows):
        if i == 0:
            page.click(f"#new-{key}")
        fill_form(page, row)
        page.click("#save-new-button" if i < len(rows) - 1 else "#save-button")
        page.wait_for_selector("text=保存成功")


def upload(page, panel_selector, paths):
    before = page.locator(f"{panel_selector} .attachment-list li").count()
    page.set_input_files(f"{panel_selector} input[type=file]", paths)
    page.wait_for_function(
        "([sel, n]) => document.querySelectorAll(sel + ' .attachment-list li').length >= n",
        arg=[panel_selector, before + len(paths)], timeout=30000)


def upload_rows(page, base, key, count):
    page.goto(f"{base}/declaration/{key}")
    for button in page.locator(".toggle-attachments >> text=上传附件").all()[:count]:
        button.click()
    for panel in page.locator(".row-attachments .attachment-panel").all()[:count]:
        upload(page, "#" + panel.get_attribute("id"), ["/tmp/zc-cert.jpg"])


def test_fill_a_health_declaration_in_the_browser(app, live_server, page, tmp_path):
    (tmp_path / "photo.jpg").write_bytes(noisy_jpeg())          # a phone photo of several MB
    (tmp_path / "cert1.jpg").write_bytes(jpeg(1200, 900, (240, 240, 230)))
    (tmp_path / "cert2.jpg").write_bytes(jpeg(1200, 900, (230, 240, 240)))
    with open("/tmp/zc-cert.jpg", "wb") as f:
        f.write(jpeg(1000, 700))
    page.on("dialog", lambda d: d.accept())
    base = live_server
    sign_in(page, base, APPLICANT_ID)
    page.click("text=专业技术")
    page.click("text=个人信息申报")
    page.wait_for_url("**/declaration/basic")

    # 个人基本信息: a wrong save first — messages beside the fields, nothing lost
    page.fill("#profession", "心血管内科")
    page.click("#save-button")
    page.wait_for_selector(".field-error")
    assert page.input_value("#profession") == "心血管内科"
    shot(page, "decl-01-basic-errors")
    fill_form(page, {"ethnicity": "01", "political_status": "13", "work_start_date": "2012-07", "series": "04",
                     "major": "内科学", "level": "12", "title": "0402", "foreign_language": "英语理工A合格",
                     "computer": "三个模块合格"})
    page.fill("#unit_id", "百利")
    page.keyboard.press("Enter")
    page.click(".unit-option >> text=天津百利机械装备集团有限公司")
    save(page)
    assert page.input_value("#work_start_date") == "2012-07-01"
    upload(page, "#att-basic-photo", [str(tmp_path / "photo.jpg")])
    upload(page, "#att-basic-id_card", [str(tmp_path / "cert1.jpg")])
    assert "卫生技术信息" in page.inner_text(".decl-tabs")
    shot(page, "decl-02-basic-saved")

    add_rows(page, base, "education", ROWS["education"])
    page.click(".toggle-attachments >> text=上传附件")
    upload(page, ".row-attachments .attachment-panel", [str(tmp_path / "cert1.jpg"), str(tmp_path / "cert2.jpg")])
    shot(page, "decl-03-education")

    page.goto(base + "/declaration/qualification")
    fill_form(page, SINGLE["qualification"])
    save(page)
    upload(page, "#att-qualification-title_certificate", ["/tmp/zc-cert.jpg"])
    upload(page, "#att-qualification-appointment", ["/tmp/zc-cert.jpg"])

    add_rows(page, base, "associations", ROWS["associations"])
    for key in ("experience", "achievements"):
        page.goto(f"{base}/declaration/{key}")
        fill_form(page, SINGLE[key])
        save(page)
    add_rows(page, base, "training", ROWS["training"])
    upload_rows(page, base, "training", 4)
    shot(page, "decl-04-training")
    add_rows(page, base, "papers", ROWS["papers"])
    upload_rows(page, base, "papers", 1)
    add_rows(page, base, "books", [{"title": "数控机床设计", "publisher": "机械工业出版社", "number": "ISBN978-7-111-12345-6",
                                    "published": "2020-08", "rank": "2", "words": "250000"}])
    upload_rows(page, base, "books", 1)
    add_rows(page, base, "patents", ROWS["patents"])
    upload_rows(page, base, "patents", 1)
    add_rows(page, base, "awards", ROWS["awards"])
    upload_rows(page, base, "awards", 1)
    add_rows(page, base, "assessments", ROWS["assessments"])

    # 卫生技术信息, with its conditions
    page.goto(base + "/declaration/health")
    data = health_page("")
    data.pop("effective_education")
    assert page.is_hidden("#group-practice_scope")
    fill_form(page, {k: v for k, v in data.items() if k not in ("practice_scope", "community_service")})
    assert page.is_visible("#group-practice_scope") and page.is_visible("#group-community_service")
    assert page.is_hidden("#group-support_type")
    page.select_option("#institution_type", "3")             # 公共卫生机构: no level
    assert page.is_hidden("#group-institution_level")
    page.select_option("#institution_type", "1")
    fill_form(page, {"practice_scope": "101", "community_service": "1"})
    page.check('[name="effective_education"]')
    save(page)
    upload(page, "#att-health-physician_certificate", ["/tmp/zc-cert.jpg"])
    upload(page, "#att-health-physician_license", ["/tmp/zc-cert.jpg"])
    page.click("#new-health_papers")
    fill_form(page, ROWS["health_papers"][0])
    save(page)
    shot(page, "decl-05-health")

    page.click("text=完整性检查")
    page.wait_for_load_state()
    assert page.locator("#check-complete").count() == 1, page.inner_text(".decl-body")
    shot(page, "decl-06-complete")
    shot(page, "decl-06-complete")


def test_completeness_links_lead_to_the_field(app, live_server, page):
    base = live_server
    sign_in(page, base, APPLICANT_ID)
    page.goto(base + "/declaration/basic")
    fill_form(page, {"ethnicity": "01", "political_status": "13", "profession": "教师", "work_start_date": "2010-09",
                     "series": "25", "major": "数学", "level": "12", "title": "2502", "foreign_language": "免试",
                     "computer": "免试"})
    page.fill("#unit_id", "第一中学")
    page.keyboard.press("Enter")
    page.click(".unit-option")
    save(page)
    assert "中小学教师信息" in page.inner_text(".decl-tabs")
    page.goto(base + "/declaration/check")
    shot(page, "decl-07-check-incomplete")
    page.click("text=请上传电子照片")
    page.wait_for_url("**/declaration/basic#att-basic-photo")
    page.goto(base + "/declaration/teacher")
    fill_form(page, {"stage": "1", "subject": "02", "edu_work_date": "2010-09", "years_middle": "15",
                     "years_primary": "0", "years_kindergarten": "0", "years_since_post": "8", "years_head_teacher": "10"})
    save(page)
    page.click("#new-teacher_resume")
    fill_form(page, ROWS["teacher_resume"][0])
    save(page)
    shot(page, "decl-08-teacher")
    page.fill("#years_middle", "12")
    asked = []
    page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    page.click("a.decl-tab >> text=学历信息")               # unsaved change: asks first
    assert asked == ["本页有未保存的修改，确定离开吗？"]
    assert page.url.endswith("/declaration/teacher") and page.input_value("#years_middle") == "12"
    page.once("dialog", lambda d: d.accept())
    page.click("a.decl-tab >> text=学历信息")
    page.wait_for_url("**/declaration/education")
