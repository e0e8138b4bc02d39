"""Signing in and out of the web pages: the cookie, the lock-out, CSRF, and never another host."""

import re

import pytest

from hub.auth.seed import DEMO_PASSWORD


@pytest.fixture
def browser(client):
    client.follow_redirects = False
    return client


def sign_in(client, username: str, password: str = DEMO_PASSWORD, **extra):
    return client.post("/login", data={"username": username, "password": password, **extra})


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def test_a_page_asks_for_sign_in_first_and_comes_back_after(browser):
    first = browser.get("/?tab=1")
    assert first.status_code == 303 and first.headers["location"] == "/login?next=/?tab=1"
    form = browser.get("/login?next=/inbox")
    assert form.status_code == 200 and "登录" in form.text and 'value="/inbox"' in form.text
    signed = sign_in(browser, "staff-housing-fund", next="/inbox")
    assert signed.status_code == 303 and signed.headers["location"] == "/inbox"
    cookie = signed.headers["set-cookie"]
    assert "hub_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain http on loopback; behind HTTPS it is set


def test_each_role_lands_on_its_own_page(browser):
    for username, home in (
        ("officer", "/requests"),
        ("staff-real-estate", "/inbox"),
        ("supervisor", "/supervision"),
        ("admin", "/admin"),
    ):
        browser.cookies.clear()
        assert sign_in(browser, username).status_code == 303
        assert browser.get("/").headers["location"] == home


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(browser):
    wrong = sign_in(browser, "officer", "not-the-password")
    unknown = sign_in(browser, "no-such-user", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    assert "用户名或密码不正确" in wrong.text and "用户名或密码不正确" in unknown.text
    assert "hub_session" not in wrong.headers.get("set-cookie", "")


def test_repeated_failures_lock_the_account(browser, hub):
    for _ in range(hub.settings.login_max_failures - 1):
        assert "用户名或密码不正确" in sign_in(browser, "officer", "guess").text
    locked = sign_in(browser, "officer", "guess")
    assert locked.status_code == 401 and "锁定" in locked.text
    refused = sign_in(browser, "officer")  # even the right password, while locked
    assert refused.status_code == 401 and "锁定" in refused.text


def test_signing_out_needs_the_forms_token_and_ends_the_session(browser):
    sign_in(browser, "officer")
    page = browser.get("/login")  # every page in the site's frame says who is signed in, with 退出
    assert "张三（执行法官）" in page.text and "退出" in page.text
    refused = browser.post("/logout", data={})
    assert refused.status_code == 403 and "表单已过期" in refused.text
    out = browser.post("/logout", data={"csrf": csrf_of(page.text)})
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert browser.get("/").headers["location"].startswith("/login")  # the old cookie opens nothing


def test_next_never_leads_to_another_host(browser):
    for target in ("https://evil.example.org/", "//evil.example.org/x", "/\\evil"):
        answer = sign_in(browser, "officer", next=target)
        assert answer.status_code == 303 and answer.headers["location"] == "/requests"
        browser.cookies.clear()
