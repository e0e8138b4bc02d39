"""The sign-in form cannot be posted from another site (login CSRF): it needs the token of the browser's own
form, and an Origin or Referer that is the hub's. Its cookies are HttpOnly, SameSite and, behind https,
Secure."""

import dataclasses
from collections.abc import Iterator

import pytest
from conftest import login_fields, post_login
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from hub.app import create_app
from hub.auth.seed import DEMO_PASSWORD
from hub.context import Hub
from hub.db import unit_of_work
from hub.models import LoginFailure
from hub.web.session import COOKIE, LOGIN_COOKIE

STALE = "表单已过期，请刷新页面后重新登录"
OFFICER = {"username": "officer", "password": DEMO_PASSWORD}


def failures(hub: Hub) -> int:
    with unit_of_work(hub.sessions) as session:
        return session.execute(select(func.count()).select_from(LoginFailure)).scalar_one()


def assert_refused(hub: Hub, visitor: TestClient, answer) -> None:
    """Refused as a stale form: 403, the sign-in page again, no session, nothing counted as a failure."""
    assert answer.status_code == 403, answer.text
    assert STALE in answer.text and 'name="login_csrf"' in answer.text
    assert f"{COOKIE}=" not in answer.headers.get("set-cookie", "")
    assert COOKIE not in visitor.cookies
    assert failures(hub) == 0


def test_a_form_posted_from_another_site_signs_nobody_in(visitor, hub):
    # what an attacker's page can send: the victim's browser posts, with no token and the attacker's Origin
    visitor.cookies.clear()
    assert_refused(hub, visitor, visitor.post("/login", data=OFFICER))
    assert_refused(
        hub, visitor, visitor.post("/login", data=OFFICER, headers={"Origin": "https://evil.example.org"})
    )
    # even with a token and cookie the attacker fetched for itself, the browser names the attacker's page
    fields = login_fields(visitor)
    for headers in (
        {"Origin": "https://evil.example.org"},
        {"Origin": "null"},  # a sandboxed frame or a data: page
        {"Referer": "https://evil.example.org/login-trap.html"},
        {"Origin": "http://testserver.evil.example.org"},
    ):
        answer = visitor.post("/login", data={**fields, **OFFICER}, headers=headers)
        assert_refused(hub, visitor, answer)
    assert visitor.get("/").status_code == 303  # still signed out


def test_the_token_belongs_to_the_browser_it_was_given_to(visitor, hub):
    other = TestClient(create_app(hub.settings, hub), follow_redirects=False)
    stolen = login_fields(other)  # the attacker's own form, posted from the victim's browser
    visitor.cookies.clear()
    visitor.get("/login")  # the victim's own binding cookie
    assert_refused(hub, visitor, visitor.post("/login", data={**stolen, **OFFICER}))
    assert_refused(hub, visitor, visitor.post("/login", data={"login_csrf": "x" * 64, **OFFICER}))
    assert_refused(hub, visitor, visitor.post("/login", data={"login_csrf": "令牌", **OFFICER}))


def test_the_refused_form_can_be_sent_again_after_a_refresh(visitor, hub):
    visitor.cookies.clear()
    refused = visitor.post("/login", data=OFFICER)
    assert refused.status_code == 403
    signed = post_login(visitor, "officer")
    assert signed.status_code == 303 and signed.headers["location"] == "/requests"


def test_the_hubs_own_pages_may_post_it(visitor, hub):
    for origin in ({"Origin": "http://testserver"}, {"Referer": "http://testserver/login?next=/inbox"}, {}):
        visitor.cookies.clear()
        fields = login_fields(visitor)
        answer = visitor.post("/login", data={**fields, **OFFICER}, headers=origin)
        assert answer.status_code == 303, (origin, answer.text)
    # its public URL too, when a proxy calls the hub by another host name
    visitor.cookies.clear()
    fields = login_fields(visitor)
    public = hub.settings.public_url.rstrip("/")
    answer = visitor.post(
        "/login", data={**fields, **OFFICER}, headers={"Origin": public, "Host": "10.0.0.7:8000"}
    )
    assert answer.status_code == 303


def test_several_open_forms_of_one_browser_all_work(visitor):
    visitor.cookies.clear()
    first = login_fields(visitor)
    second = login_fields(visitor)  # a second tab
    assert first == second
    assert visitor.post("/login", data={**first, **OFFICER}).status_code == 303


def test_the_form_cookie_is_httponly_strict_and_only_for_the_sign_in_page(visitor):
    visitor.cookies.clear()
    form = visitor.get("/login")
    cookie = form.headers["set-cookie"]
    assert cookie.startswith(f"{LOGIN_COOKIE}=") and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Path=/login" in cookie and "Secure" not in cookie  # plain http on loopback
    assert form.headers["cache-control"] == "no-store"
    signed = visitor.post("/login", data={**login_fields(visitor), **OFFICER})
    cookies = signed.headers.get_list("set-cookie")
    assert any(c.startswith(f"{LOGIN_COOKIE}=") and "Max-Age=0" in c for c in cookies)  # no longer needed


@pytest.fixture
def https_visitor(hub: Hub) -> Iterator[TestClient]:
    """A browser of a hub whose public URL is https (behind a TLS proxy)."""
    settings = hub.settings.model_copy(update={"public_url": "https://hub.example.org"})
    behind_tls = dataclasses.replace(hub, settings=settings)
    with TestClient(create_app(settings, behind_tls), base_url="https://hub.example.org") as client:
        client.follow_redirects = False
        yield client


def test_behind_https_every_cookie_is_secure(https_visitor):
    form = https_visitor.get("/login")
    assert "Secure" in form.headers["set-cookie"]
    signed = https_visitor.post("/login", data={**login_fields(https_visitor), **OFFICER})
    assert signed.status_code == 303
    cookies = signed.headers.get_list("set-cookie")
    [session] = [c for c in cookies if c.startswith(f"{COOKIE}=")]
    assert "Secure" in session and "HttpOnly" in session and "SameSite=lax" in session
    csrf = https_visitor.get("/login").text.split('name="csrf" value="')[1].split('"')[0]
    out = https_visitor.post("/logout", data={"csrf": csrf})
    [ended] = [c for c in out.headers.get_list("set-cookie") if c.startswith(f"{COOKIE}=")]
    assert "Max-Age=0" in ended and "Secure" in ended and "HttpOnly" in ended
