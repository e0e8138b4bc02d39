"""Servers as real processes for the tests: bench/servers.py's, failing the test instead of raising."""

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bench import servers
from bench.servers import free_port
from hub.config import Settings
from hub.context import Hub

__all__ = ["Server", "free_port", "hub_env", "served_hub", "serving"]


def hub_env(database_url: str, data_dir: Path, **settings: str) -> dict[str, str]:
    """The environment of a `hub` process over the test's database: none of this shell's HUB_ settings,
    demo mode, no mail leaving the machine (nothing listens on port 9), then `settings` (HUB_...=value)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(
        HUB_DATABASE_URL=database_url, HUB_DATA_DIR=str(data_dir), HUB_DEMO="1", HUB_SMTP_PORT="9", **settings
    )
    return env


class Server(servers.Server):
    """`args` + `--port N` as a process that a test can kill and start again on the same port."""

    def start(self, timeout: float = 30) -> None:
        """Start the process and wait until its /healthz answers 200; fails the test if it exits or stays silent."""
        try:
            super().start(timeout)
        except RuntimeError as exc:
            pytest.fail(str(exc))


@contextmanager
def serving(args: list, env: dict[str, str], log: Path) -> Iterator[str]:
    """Run `args` + `--port` and a free port, wait for /healthz, stop it afterwards; the base URL."""
    server = Server(args, env, log)
    try:
        server.start()
        yield server.base
    finally:
        server.stop()


@contextmanager
def served_hub(database_url: str, folder: Path, **settings: str) -> Iterator[tuple[str, Hub]]:
    """`hub serve` (no worker) over `database_url`, its public URL its own address, with `settings`; its
    base URL, and the same database in-process (for tokens and checks)."""
    port = free_port()
    env = hub_env(database_url, folder / "data", HUB_PUBLIC_URL=f"http://127.0.0.1:{port}", **settings)
    hub = Hub.from_settings(Settings(database_url=database_url, data_dir=folder / "data", demo=True))
    server = Server(
        [Path(sys.executable).parent / "hub", "serve", "--no-worker"], env, folder / "hub.log", port=port
    )
    server.start()
    try:
        yield server.base, hub
    finally:
        server.stop()
        hub.engine.dispose()
