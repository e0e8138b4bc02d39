"""An officer's enforcement cards in Chromium (issue 14): the administrator fills in the form, the two
card images upload and show as thumbnails under the page's content policy, and an SVG named .png is
refused on the page in Chinese."""

from browser_support import sign_in
from images import jpeg, png
from playwright.sync_api import expect


def test_the_administrator_uploads_both_cards_and_sees_them(live_hub, browser):
    page = browser.new_page()
    reports: list[str] = []
    page.on("console", lambda message: reports.append(message.text) if message.type == "error" else None)
    sign_in(page, live_hub, "admin")
    page.goto(f"{live_hub}/admin/users")
    page.locator('tr[data-user="officer"] td.cards a').click()
    expect(page.get_by_role("heading", name="执行证件：张三")).to_be_visible()

    page.get_by_label("工作证号").fill("吉2426工0031")
    page.get_by_label("工作证图片").set_input_files(
        files=[{"name": "工作证.png", "mimeType": "image/png", "buffer": png(320, 200)}]
    )
    page.get_by_label("执行公务证图片").set_input_files(
        files=[
            {
                "name": "card.svg.png",
                "mimeType": "image/png",
                "buffer": b'<svg xmlns="http://www.w3.org/2000/svg"/>',
            }
        ]
    )
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "执行公务证图片（文件 card.svg.png）：这是 SVG、HTML 等文本文件"
    )
    expect(page.locator("#cards img")).to_have_count(0)  # nothing kept, the work card's image neither

    reports.clear()  # the 422 of the refused form (and the favicon's 404) before
    page.get_by_label("工作证图片").set_input_files(
        files=[{"name": "工作证.png", "mimeType": "image/png", "buffer": png(320, 200)}]
    )
    page.get_by_label("执行公务证图片").set_input_files(
        files=[{"name": "scan.jpg", "mimeType": "image/jpeg", "buffer": jpeg(320, 200)}]
    )
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("status")).to_have_text("执行证件已保存。")
    expect(page.locator('tr[data-card="work_card"]')).to_contain_text("吉2426工0031")
    thumbnails = page.locator("#cards img")
    expect(thumbnails).to_have_count(2)
    for image in thumbnails.all():
        image.scroll_into_view_if_needed()
        expect(image).to_be_visible()
        page.wait_for_function("(image) => image.complete", arg=image.element_handle())
        assert image.evaluate("image => [image.naturalWidth, image.naturalHeight]") == [320, 200]
    assert reports == []  # no violation of the page's policy, no image that failed to load
