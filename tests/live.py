"""Servers as real processes for the tests: a free loopback port, and a process served until it stops."""

import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(args: list[str], env: dict[str, str], log: Path) -> Iterator[str]:
    """Run `args` + a free port (args end with --port), wait for /healthz, stop it afterwards; the base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [*map(str, args), str(port)], env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        for _ in range(200):
            if process.poll() is not None:
                pytest.fail(f"{args[:3]} exited {process.returncode}:\n{log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)
