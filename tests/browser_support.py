"""Fixtures for the browser tests: `hub serve` as a real process, and Debian's Chromium driven by Playwright.

Without /usr/bin/chromium the browser tests are skipped, with the reason, unless HUB_REQUIRE_BROWSER is
set (CI), where a missing browser fails them.
"""

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from live import hub_env, serving

CHROMIUM = Path("/usr/bin/chromium")
HUB = Path(sys.executable).parent / "hub"
ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "docs" / "screenshots"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--lang=zh-CN",  # the browser's own widgets (file inputs, date pickers) in Chinese too
]


@pytest.fixture
def live_hub(database_url: str, tmp_path: Path) -> Iterator[str]:
    """`hub serve` on a free loopback port over the test's database; its base URL."""
    with serving([HUB, "serve"], hub_env(database_url, tmp_path / "data"), tmp_path / "hub.log") as base:
        yield base


@pytest.fixture(scope="session")
def chromium():
    if not CHROMIUM.exists():
        message = "Chromium is not installed (apt-get install chromium fonts-noto-cjk)"
        if os.environ.get("HUB_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser(chromium):
    """A fresh browser context (its own cookies), in Chinese, at a laptop's size; closed after the test."""
    context = chromium.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1280, "height": 860}
    )
    yield context
    context.close()


def sign_in(page, base: str, username: str, password: str = "demo12345") -> None:
    page.goto(f"{base}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


def screenshot(page, name: str) -> None:
    """With HUB_SCREENSHOTS=1 (`make screenshots`), keep the page as docs/screenshots/<name>.png for the README."""
    if not os.environ.get("HUB_SCREENSHOTS"):
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
