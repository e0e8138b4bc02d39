"""Servers as real processes on loopback, as tests/live.py starts them: a free port, /healthz awaited."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
HUB = [str(Path(sys.executable).with_name("hub")), "serve", "--no-worker", "--host", "127.0.0.1"]
FLOOR = [sys.executable, "-m", "bench.floor", "--host", "127.0.0.1"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`args` + `--port N` as a process, its output in `log` (appended across starts); start() returns when
    /healthz answers 200, and can be called again after kill() or stop(), on the same port. The tests use
    it too (tests/live.py)."""

    def __init__(self, args: list, env: dict[str, str], log: Path, port: int | None = None) -> None:
        self.args, self.env, self.log = [*map(str, args)], env, log
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60) -> None:
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                [*self.args, "--port", str(self.port)],
                env=self.env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.args[:3]} exited {self.process.returncode}:\n{self.tail()}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{self.args[:3]} did not answer /healthz in {timeout} s:\n{self.tail()}")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: the process ends at once, as in a power cut of the host or the OOM killer."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM and wait (SIGKILL after 10 s)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()

    def cpu_seconds(self) -> float | None:
        """CPU time the process has used so far (user + system), where /proc tells it (Linux)."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, AttributeError):
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""


@contextmanager
def serving(
    args: list[str], env: dict[str, str], logs: Path, name: str, processes: int
) -> Iterator[list[Server]]:
    """`processes` servers of `args`, started one after the other, stopped at the end."""
    with ExitStack() as stack:
        servers = []
        for n in range(processes):
            server = Server(args, env, logs / f"{name}-{n + 1}.log")
            stack.callback(server.stop)
            server.start()
            servers.append(server)
        yield servers
