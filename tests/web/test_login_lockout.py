"""Sign-in refusals tell nothing, and lock-outs are per (account, address) and per address: failures from
one address never lock the administrator out of another."""

import dataclasses
import json
import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import timedelta

import pytest
from conftest import csrf_of, post_login, sign_in
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from hub.app import create_app
from hub.auth.seed import DEMO_PASSWORD
from hub.context import Hub
from hub.db import unit_of_work
from hub.models import AuditEvent, LoginFailure, Unit, User

REFUSED = "用户名或密码不正确。多次输错后将暂时无法登录，请稍后再试或联系系统管理员。"


@pytest.fixture
def hub(hub: Hub) -> Hub:
    """conftest's hub, locking an address after 8 failures rather than 20 (fewer argon2 checks to wait for)."""
    return dataclasses.replace(
        hub, settings=hub.settings.model_copy(update={"login_max_failures_per_source": 8})
    )


@pytest.fixture
def browser_at(hub: Hub) -> Iterator[Callable[[str], TestClient]]:
    """browser_at(address) -> a browser calling the hub from that IP address (request.client.host)."""
    app = create_app(hub.settings, hub)
    with ExitStack() as stack:

        def browser(address: str) -> TestClient:
            client = stack.enter_context(TestClient(app, client=(address, 50000)))
            client.follow_redirects = False
            return client

        yield browser


def answer_of(response, username: str) -> tuple[int, str]:
    """The status and the page, with what differs by design taken out: the name typed in, the form's token."""
    page = response.text.replace(f'value="{username}"', 'value="NAME"')
    return response.status_code, re.sub(r'name="login_csrf" value="[^"]+"', "TOKEN", page)


def events(hub: Hub, kind: str) -> list[dict]:
    with unit_of_work(hub.sessions) as session:
        return [
            json.loads(e.data)
            for e in session.execute(select(AuditEvent).where(AuditEvent.kind == kind)).scalars()
        ]


def test_one_answer_whatever_the_reason(hub, browser_at):
    with unit_of_work(hub.sessions) as session:
        session.execute(update(User).where(User.username == "supervisor").values(active=False))
        session.execute(update(Unit).where(Unit.code == "forestry").values(active=False))
    for _ in range(hub.settings.login_max_failures):
        post_login(browser_at("10.0.0.9"), "admin", "guess")

    wrong = answer_of(post_login(browser_at("10.0.0.1"), "officer", "guess"), "officer")
    assert wrong[0] == 401 and REFUSED in wrong[1]
    for name, address, password in (
        ("no-such-user", "10.0.0.2", "guess"),
        ("supervisor", "10.0.0.3", DEMO_PASSWORD),  # inactive, the right password
        ("staff-forestry", "10.0.0.4", DEMO_PASSWORD),  # active, of an inactive unit
        ("admin", "10.0.0.9", DEMO_PASSWORD),  # locked from this address, the right password
        ("admin", "10.0.0.9", "guess"),
    ):
        assert answer_of(post_login(browser_at(address), name, password), name) == wrong, name


def test_failures_from_one_address_do_not_lock_the_account_elsewhere(hub, browser_at):
    attacker, owner = browser_at("10.0.0.1"), browser_at("10.0.0.2")
    for _ in range(hub.settings.login_max_failures):
        assert post_login(attacker, "admin", "guess").status_code == 401
    refused = post_login(attacker, "admin")  # the right password, from the attacker's address
    assert refused.status_code == 401 and REFUSED in refused.text
    signed = post_login(owner, "admin")
    assert signed.status_code == 303 and signed.headers["location"] == "/admin"
    [locked] = events(hub, "user.locked")
    assert locked["username"] == "admin" and locked["source"] == "10.0.0.1" and locked["until"]
    assert post_login(attacker, "officer").status_code == 303  # other accounts from that address too


def test_an_ipv6_address_counts_as_its_64_network(hub, browser_at):
    for i in range(hub.settings.login_max_failures):
        post_login(browser_at(f"2001:db8:1:2::{i + 1:x}"), "admin", "guess")  # one machine, many addresses
    assert post_login(browser_at("2001:db8:1:2::99"), "admin").status_code == 401
    assert post_login(browser_at("2001:db8:1:3::1"), "admin").status_code == 303
    assert events(hub, "user.locked")[0]["source"] == "2001:db8:1:2::/64"


def test_an_address_that_fails_too_often_is_refused_for_every_account(hub, browser_at):
    spray = browser_at("10.0.0.5")
    for i in range(hub.settings.login_max_failures_per_source):
        assert post_login(spray, f"guess-{i % 7}", "guess").status_code == 401
    for username in ("officer", "admin", "staff-housing-fund"):
        refused = post_login(spray, username)
        assert refused.status_code == 401 and REFUSED in refused.text, username
    assert post_login(browser_at("10.0.0.6"), "officer").status_code == 303
    [locked] = events(hub, "source.locked")
    assert locked["source"] == "10.0.0.5"


def time_passes(hub: Hub, minutes: float) -> None:
    """The stored failures made `minutes` older, as if that much time had passed."""
    with unit_of_work(hub.sessions) as session:
        for failure in session.execute(select(LoginFailure)).scalars():
            failure.at -= timedelta(minutes=minutes)


def test_a_lock_ends_and_a_success_clears_the_count(hub, browser_at):
    browser = browser_at("10.0.0.1")
    for _ in range(2):
        for _ in range(hub.settings.login_max_failures - 1):
            post_login(browser, "officer", "guess")
        assert post_login(browser, "officer").status_code == 303  # and the count starts again

    for _ in range(hub.settings.login_max_failures):
        post_login(browser, "officer", "guess")
    time_passes(hub, hub.settings.login_lock_minutes - 1)
    assert post_login(browser, "officer").status_code == 401  # not counted: the lock does not grow
    time_passes(hub, 1)
    assert post_login(browser, "officer").status_code == 303


def test_the_administrator_sees_and_lifts_locks(hub, browser_at):
    for _ in range(hub.settings.login_max_failures):
        post_login(browser_at("10.0.0.1"), "officer", "guess")
    for i in range(hub.settings.login_max_failures_per_source):
        post_login(browser_at("10.0.0.5"), f"nobody-{i}", "guess")
    admin = browser_at("10.0.0.2")
    sign_in(admin, "admin")
    users = admin.get("/admin/users").text
    assert "已锁定" in users and "10.0.0.1" in users
    assert 'data-source="10.0.0.5"' in users and "已锁定的来源地址" in users

    [unlock] = re.findall(r'action="(/admin/users/\d+/unlock)"', users)
    assert (
        admin.post(unlock, data={"csrf": csrf_of(users)}).headers["location"] == "/admin/users?done=unlocked"
    )
    assert post_login(browser_at("10.0.0.1"), "officer").status_code == 303
    lifted = admin.post("/admin/sources/unlock", data={"csrf": csrf_of(users), "source": "10.0.0.5"})
    assert lifted.status_code == 303
    assert post_login(browser_at("10.0.0.5"), "officer").status_code == 303
    again = admin.post("/admin/sources/unlock", data={"csrf": csrf_of(users), "source": "10.0.0.5"})
    assert again.status_code == 409 and "当前未被锁定" in again.text
    assert events(hub, "user.unlocked")[0]["sources"] == ["10.0.0.1"]
    assert events(hub, "source.unlocked")[0]["source"] == "10.0.0.5"


def test_old_failures_are_deleted(hub, browser_at):
    for i in range(3):
        post_login(browser_at(f"10.0.1.{i}"), f"nobody-{i}", "guess")
    time_passes(hub, hub.settings.login_lock_minutes)
    post_login(browser_at("10.0.0.1"), "nobody", "guess")
    with unit_of_work(hub.sessions) as session:
        assert session.execute(select(LoginFailure.source)).scalars().all() == ["10.0.0.1"]
