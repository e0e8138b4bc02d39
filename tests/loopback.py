"""Fixtures: a unit's endpoint on real loopback HTTP that answers as scripted, a dead address, a directory
switched per test, and a worker that retries at once. Imported by the tests that use them."""

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from hub.context import Hub
from hub.db import unit_of_work
from hub.delivery.worker import Worker
from hub.directory.loader import BUNDLED_DIRECTORY, load_directory
from hub.directory.service import sync_directory


@dataclass
class Answer:
    status: int = 202
    body: bytes = b'{"accepted": true}'
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0  # wait before answering (a slow unit)
    raw: bytes | None = None  # answer with these bytes instead of HTTP (a broken unit)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


class UnitEndpoint:
    """Answers each POST with the next scripted Answer (the last one repeats) and keeps what it got."""

    def __init__(self) -> None:
        self.script: list[Answer] = [Answer()]
        self.received: list[Received] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                endpoint.received.append(Received(self.path, dict(self.headers), body))
                answer = endpoint.script.pop(0) if len(endpoint.script) > 1 else endpoint.script[0]
                time.sleep(answer.delay_s)
                if answer.raw is not None:
                    self.wfile.write(answer.raw)
                    self.close_connection = True
                    return
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                self.send_header("Content-Length", str(len(answer.body)))
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(answer.body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/tasks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, *answers: Answer) -> None:
        self.script = list(answers)


@pytest.fixture
def endpoint() -> Iterator[UnitEndpoint]:
    unit = UnitEndpoint()
    yield unit
    unit.server.shutdown()
    unit.server.server_close()


@pytest.fixture
def dead_url() -> str:
    """A loopback address where nothing listens."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/tasks"


@pytest.fixture
def switch(hub: Hub):
    """switch(code, channel, *fallback): the unit's directory entry changed, as an administrator would."""

    def change(code: str, channel: dict, *fallback: dict | str) -> None:
        directory = load_directory(BUNDLED_DIRECTORY)
        units = [
            u
            if u.code != code
            else type(u).model_validate({**u.model_dump(), "channel": channel, "fallback": list(fallback)})
            for u in directory.units
        ]
        with unit_of_work(hub.sessions) as session:
            sync_directory(session, directory=directory.model_copy(update={"units": units}))

    return change


@pytest.fixture
def worker(hub: Hub) -> Worker:
    hub.settings.delivery_retry_base_s = 0
    hub.settings.delivery_max_attempts = 2
    return Worker(hub, threads=2)
