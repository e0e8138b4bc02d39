"""Whose address a sign-in comes from, on a served hub: X-Forwarded-For is believed only from the proxies
HUB_TRUSTED_PROXIES names. uvicorn's own default believes any client on 127.0.0.1, so a client there could
name a fresh address for each guess and never meet the per-address limit (found in review)."""

import re
from pathlib import Path

import httpx
import pytest
from browser_support import HUB
from live import hub_env, serving

from hub.auth.seed import DEMO_PASSWORD

pytestmark = pytest.mark.db


def _hub(database_url: str, tmp_path: Path, **settings: str):
    env = hub_env(database_url, tmp_path / "data", HUB_LOGIN_MAX_FAILURES_PER_SOURCE="3", **settings)
    return serving([HUB, "serve", "--no-worker"], env, tmp_path / "hub.log")


def _sign_in(client: httpx.Client, username: str, password: str, forwarded_for: str) -> int:
    form = client.get("/login").text
    token = re.search(r'name="login_csrf" value="([^"]+)"', form).group(1)
    answer = client.post(
        "/login",
        data={"username": username, "password": password, "login_csrf": token},
        headers={"X-Forwarded-For": forwarded_for},
    )
    return answer.status_code


def _three_wrong_then_right(base: str) -> int:
    with httpx.Client(base_url=base, follow_redirects=False, timeout=30) as client:
        for n in range(3):
            assert _sign_in(client, "officer", "wrong", f"10.0.0.{n + 1}") == 401
        return _sign_in(client, "supervisor", DEMO_PASSWORD, "10.0.0.99")


def test_a_client_cannot_name_its_own_address(database_url, tmp_path):
    with _hub(database_url, tmp_path) as base:
        assert _three_wrong_then_right(base) == 401  # the three failures were all this client's


def test_a_trusted_proxy_names_each_clients_address(database_url, tmp_path):
    with _hub(database_url, tmp_path, HUB_TRUSTED_PROXIES="127.0.0.1") as base:
        assert _three_wrong_then_right(base) == 303  # three addresses, one failure each
