"""Every body from outside bounded before it is read: a hub on loopback answers 413 (or 403 for a form
without its token) while the client is still sending, and spools nothing; the refusals in the one error
shape, a page in Chinese for the pages.

The live tests speak HTTP on a raw socket: a client library would send the whole body before it looks
for an answer, which is exactly what these tests must not do.
"""

import json
import re
import select
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from browser_support import HUB
from conftest import example, listed_files, multipart, sign_in, token_issuer
from fastapi.testclient import TestClient
from live import hub_env, serving

from hub.app import create_app
from hub.context import Hub
from hub.limits import SMALL_BODY_BYTES

MIB = 1024 * 1024
FILE_LIMIT = MIB  # the served hub's max_file_bytes
PIECE = 64 * 1024


@pytest.fixture
def served(database_url: str, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """`hub serve` over the test's database, taking files of 1 MiB, with a temporary folder of its own: its
    base URL and that folder (where a spooled upload would land)."""
    spool = tmp_path / "spool"
    spool.mkdir()
    env = hub_env(database_url, tmp_path / "data", HUB_MAX_FILE_BYTES=str(FILE_LIMIT), TMPDIR=str(spool))
    with serving([HUB, "serve", "--no-worker"], env, tmp_path / "hub.log") as base:
        yield base, spool


class Exchange:
    """One request on a raw socket: the head sent, then the body piece by piece until the server answers."""

    def __init__(self, base: str, head: str) -> None:
        url = urlsplit(base)
        self.socket = socket.create_connection((url.hostname, url.port), timeout=10)
        self.socket.sendall(head.encode())
        self.sent = 0  # body bytes sent before the answer came

    def answered(self, wait: float = 0.0) -> bool:
        return bool(select.select([self.socket], [], [], wait)[0])

    def send(self, pieces: Iterator[bytes], *, wait: float = 0.0) -> None:
        """Send the pieces, stopping as soon as an answer is there (waiting `wait` seconds after each)."""
        for piece in pieces:
            if self.answered(wait):
                return
            try:
                self.socket.sendall(piece)
            except OSError:  # the server closed the connection: its answer is there
                return
            self.sent += len(piece)

    def answer(self) -> tuple[int, dict[str, str], bytes]:
        """The status, the headers and the body (of Content-Length bytes) of the answer."""
        data = b""
        try:
            while b"\r\n\r\n" not in data and (chunk := self.socket.recv(65536)):
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
            while len(body) < int(headers.get("content-length", 0)) and (chunk := self.socket.recv(65536)):
                body += chunk
        finally:
            self.socket.close()
        return int(lines[0].split()[1]), headers, body


def zeros(total: int) -> Iterator[bytes]:
    for _ in range(total // PIECE):
        yield b"\0" * PIECE


def chunked(pieces: Iterator[bytes]) -> Iterator[bytes]:
    for piece in pieces:
        yield b"%x\r\n%s\r\n" % (len(piece), piece)


def spooled(spool: Path) -> list[tuple[str, int]]:
    return [(p.name, p.stat().st_size) for p in spool.rglob("*") if p.is_file()]


BOUNDARY = "hub-limits-test"


def part_head(name: str, filename: str | None = None) -> bytes:
    disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
    return f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()


def head(path: str, length: int | None, *extra: str) -> str:
    lines = [
        f"POST {path} HTTP/1.1",
        "Host: 127.0.0.1",
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}",
        f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked",
        *extra,
    ]
    return "\r\n".join(lines) + "\r\n\r\n"


# --- the sign-in: anyone may post it, so it takes a small form only -------------------------------


def test_a_sign_in_declaring_400_mb_is_refused_before_its_body_is_sent(served):
    base, spool = served
    exchange = Exchange(base, head("/login", 400 * 1000 * 1000))
    exchange.send(iter([part_head("username") + b"officer\r\n" + part_head("big", "big.bin")]))
    assert exchange.answered(wait=3), "no answer while the body is still to come"
    exchange.send(zeros(2 * MIB))  # the server reads none of it
    assert spooled(spool) == []
    status, headers, body = exchange.answer()
    assert status == 413 and headers["connection"] == "close"
    assert "提交的内容超过 64 KB 的上限" in body.decode()


def test_a_chunked_sign_in_is_cut_off_past_the_small_form_limit(served):
    base, spool = served
    exchange = Exchange(base, head("/login", None))
    exchange.send(chunked(iter([part_head("big", "big.bin")])))
    exchange.send(chunked(zeros(8 * MIB)), wait=0.02)
    assert SMALL_BODY_BYTES < exchange.sent < 2 * MIB, exchange.sent
    assert spooled(spool) == []
    status, _, body = exchange.answer()
    assert status == 413 and "64 KB" in body.decode()


# --- a submission: each part refused as soon as it passes its limit -------------------------------


def test_an_api_file_part_past_max_file_bytes_is_refused_before_the_rest_is_read(served, hub):
    base, spool = served
    officer = token_issuer(hub)("officer")
    document = example("request-freeze.xml")
    total = 60 * MIB
    exchange = Exchange(base, head("/api/v1/requests", total, f"Authorization: {officer['Authorization']}"))
    exchange.send(
        iter([part_head("document", "document.xml") + document + b"\r\n" + part_head("files", "big.pdf")])
    )
    exchange.send(zeros(total), wait=0.005)
    assert exchange.sent < 8 * MIB, (
        exchange.sent
    )  # of 60: what the socket buffers took before the answer came
    status, _, body = exchange.answer()
    error = json.loads(body)["error"]
    assert status == 413 and error["code"] == "too_large"
    assert error["message"].startswith(
        f"The part files (big.pdf) is larger than the limit of {FILE_LIMIT} bytes"
    )
    assert all(size <= FILE_LIMIT + PIECE for _, size in spooled(spool))


def test_a_page_form_with_a_file_before_its_token_is_refused_before_the_file_is_read(served):
    base, spool = served
    with httpx.Client(base_url=base) as browser:
        login = browser.get("/login").text
        fields = dict(re.findall(r'name="(login_csrf)" value="([^"]+)"', login))
        signed = browser.post(
            "/login", data={**fields, "username": "staff-housing-fund", "password": "demo12345"}
        )
        assert signed.status_code == 303, signed.text
        cookie = "; ".join(f"{k}={v}" for k, v in browser.cookies.items())
    exchange = Exchange(base, head("/tasks/1/receipt-xml", 100 * MIB, f"Cookie: {cookie}"))
    exchange.send(iter([part_head("files", "scan.pdf")]))
    exchange.send(zeros(100 * MIB), wait=0.005)
    assert exchange.sent < 8 * MIB, exchange.sent
    status, _, body = exchange.answer()
    assert status == 403 and "表单已过期或来源不明" in body.decode()
    assert spooled(spool) == []


# --- the refusals' shapes ---------------------------------------------------------------------------


def test_an_api_body_past_the_small_limit_is_413_in_the_error_shape(client, token):
    answer = client.post(
        "/api/v1/tasks/1/objection-answer",
        json={"answer": "x" * SMALL_BODY_BYTES},
        headers=token("officer"),
    )
    assert answer.status_code == 413
    assert answer.json()["error"] == {
        "code": "too_large",
        "message": f"The request body is larger than the limit of {SMALL_BODY_BYTES} bytes for "
        "/api/v1/tasks/1/objection-answer.",
        "details": [],
    }


def test_a_page_form_past_the_small_limit_is_a_413_page_in_chinese(visitor):
    csrf = sign_in(visitor, "officer")
    answer = visitor.post("/logout", data={"csrf": csrf, "padding": "x" * SMALL_BODY_BYTES})
    assert answer.status_code == 413 and answer.headers["content-type"].startswith("text/html")
    assert "提交的内容超过 64 KB 的上限，未予接收。" in answer.text
    assert visitor.get("/requests").status_code == 200  # still signed in: the form was not read


@pytest.fixture
def small_hub(settings) -> Iterator[TestClient]:
    """A hub on the test's database taking files of 64 KiB."""
    small = settings.model_copy(update={"max_file_bytes": 64 * 1024})
    hub = Hub.from_settings(small)
    with TestClient(create_app(small, hub), follow_redirects=False) as client:
        yield client
    hub.engine.dispose()


def test_a_page_upload_past_max_file_bytes_is_refused_naming_the_file(small_hub, token):
    request = small_hub.post(
        "/api/v1/requests",
        files=multipart(example("request-freeze.xml"), *listed_files(example("request-freeze.xml"))),
        headers=token("officer"),
    )
    task = request.json()["tasks"][0]["id"]
    csrf = sign_in(small_hub, "staff-housing-fund")
    answer = small_hub.post(
        f"/tasks/{task}/receipt-xml",
        data={"csrf": csrf},
        files=[
            ("document", ("receipt.xml", example("receipt-controlled.xml"), "application/xml")),
            ("files", ("scan.pdf", b"%PDF-1.4\n" + b"\0" * 70_000, "application/pdf")),
        ],
    )
    assert answer.status_code == 413
    assert "文件 scan.pdf 超过 64 KB 的上限，未予接收。" in answer.text
