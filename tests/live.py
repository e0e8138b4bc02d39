"""Servers as real processes for the tests: bench/servers.py's, failing the test instead of raising."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bench import servers
from bench.servers import free_port

__all__ = ["Server", "free_port", "hub_env", "serving"]


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
