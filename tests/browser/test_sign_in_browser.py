"""Signing in, in a real browser: the frame says who is signed in, and 退出 signs out."""

from browser_support import screenshot, sign_in


def test_sign_in_and_out_in_chromium(live_hub, browser):
    page = browser.new_page()
    page.goto(f"{live_hub}/login")
    screenshot(page, "login")
    page.get_by_label("用户名").fill("officer")
    page.get_by_label("密码").fill("wrong-password")
    page.get_by_role("button", name="登录").click()
    assert page.get_by_role("alert").inner_text().startswith("用户名或密码不正确")

    sign_in(page, live_hub, "officer")
    page.goto(f"{live_hub}/login")  # every page's frame says who is signed in
    assert "张三（执行法官）" in page.locator("header").inner_text()
    page.get_by_role("button", name="退出").click()
    page.wait_for_url(f"{live_hub}/login")
    page.goto(f"{live_hub}/")
    assert page.url.startswith(f"{live_hub}/login")
