"""Signing in and out of the web pages: the cookie, the lock-out, CSRF, and never another host."""

from conftest import csrf_of, post_login, sign_in


def test_a_page_asks_for_sign_in_first_and_comes_back_after(visitor):
    first = visitor.get("/?tab=1")
    assert first.status_code == 303 and first.headers["location"] == "/login?next=/?tab=1"
    form = visitor.get("/login?next=/inbox")
    assert form.status_code == 200 and "登录" in form.text and 'value="/inbox"' in form.text
    signed = post_login(visitor, "staff-housing-fund", next="/inbox")
    assert signed.status_code == 303 and signed.headers["location"] == "/inbox"
    cookie = signed.headers["set-cookie"]
    assert "hub_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain http on loopback; behind HTTPS it is set


def test_each_role_lands_on_its_own_page(visitor):
    for username, home in (
        ("officer", "/requests"),
        ("staff-real-estate", "/inbox"),
        ("supervisor", "/supervision"),
        ("admin", "/admin"),
    ):
        assert post_login(visitor, username).status_code == 303
        assert visitor.get("/").headers["location"] == home


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(visitor):
    wrong = post_login(visitor, "officer", "not-the-password")
    unknown = post_login(visitor, "no-such-user", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    assert "用户名或密码不正确" in wrong.text and "用户名或密码不正确" in unknown.text
    assert "hub_session" not in wrong.headers.get("set-cookie", "")


def test_repeated_failures_lock_the_account(visitor, hub):
    for _ in range(hub.settings.login_max_failures):
        assert "用户名或密码不正确" in post_login(visitor, "officer", "guess").text
    refused = post_login(visitor, "officer")  # even the right password, while locked (from this address)
    assert refused.status_code == 401 and "多次输错后将暂时无法登录" in refused.text


def test_signing_out_needs_the_forms_token_and_ends_the_session(visitor):
    sign_in(visitor, "officer")
    page = visitor.get("/login")  # every page in the site's frame says who is signed in, with 退出
    assert "张三（执行法官）" in page.text and "退出" in page.text
    refused = visitor.post("/logout", data={})
    assert refused.status_code == 403 and "表单已过期" in refused.text
    out = visitor.post("/logout", data={"csrf": csrf_of(page.text)})
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert visitor.get("/").headers["location"].startswith("/login")  # the old cookie opens nothing


def test_next_never_leads_to_another_host(visitor):
    for target in ("https://evil.example.org/", "//evil.example.org/x", "/\\evil"):
        answer = post_login(visitor, "officer", next=target)
        assert answer.status_code == 303 and answer.headers["location"] == "/requests"
