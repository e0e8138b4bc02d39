"""Servers as real processes for the tests: bench/servers.py's, failing the test instead of raising."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bench import servers
from bench.servers import free_port

__all__ = ["Server", "free_port", "serving"]


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
