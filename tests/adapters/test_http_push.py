"""The http-push adapter against a mocked unit endpoint (respx): what the unit receives, and each outcome;
against a real one on loopback for how the answer is read (as it comes, never past the limit).
"""

import gzip
import socket
import struct
import threading
import time
import tracemalloc
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from email.utils import format_datetime

import httpx
import pytest
import respx
from conftest import example, example_file

from adapters.base import AdapterContext, Delivery, Misconfigured, Refused, RetryLater, Served
from adapters.http_push import HttpPushAdapter, HttpPushChannel
from hub.clock import now
from hub.config import Settings

URL = "https://gjj.unit.example/hub/tasks"
VAR = "HUB_TEST_GJJ_TOKEN"
SECRET = "s3cr3t-gjj-token"


def adapter(url: str = URL, **options) -> HttpPushAdapter:
    channel = HttpPushChannel(kind="http-push", url=url, token_env=VAR, **options)
    return HttpPushAdapter(channel, AdapterContext(Settings()))


def delivery(**changes) -> Delivery:
    fields = dict(
        task_id=4711,
        unit_code="housing-fund",
        unit_name="安图县住房公积金管理中心",
        court_code="J2426",
        court_name="安图县人民法院",
        request_no="AT-2026-000123",
        action="FREEZE",
        document=example("request-freeze.xml"),
        files={"ruling.pdf": example_file("ruling.pdf"), "notice.pdf": example_file("notice.pdf")},
    )
    return Delivery(**{**fields, **changes})


@pytest.fixture
def token(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(VAR, SECRET)
    return SECRET


@pytest.fixture
def unit() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as router:
        yield router


# --- what the unit receives ---------------------------------------------------------------------


def test_the_unit_receives_the_request_as_sent_with_its_headers(unit, token):
    route = unit.post(URL).mock(return_value=httpx.Response(202, json={"accepted": True}))
    task = delivery()
    outcome = adapter().serve(task)

    assert isinstance(outcome, Served)
    assert route.call_count == 1
    request = route.calls.last.request
    assert request.method == "POST" and str(request.url) == URL
    assert request.content == task.document
    assert request.headers["Content-Type"] == "application/xml"
    assert request.headers["X-Hub-Task-Id"] == "4711"
    assert request.headers["X-Hub-Request-No"] == "AT-2026-000123"
    assert request.headers["Authorization"] == f"Bearer {token}"


def test_the_channel_timeout_is_the_one_used(unit, token):
    route = unit.post(URL).mock(return_value=httpx.Response(202))
    adapter(timeout_s=2.5).serve(delivery())
    timeout = route.calls.last.request.extensions["timeout"]
    assert timeout == {"connect": 2.5, "read": 2.5, "write": 2.5, "pool": 2.5}


@pytest.mark.parametrize("value", [None, ""], ids=["unset", "empty"])
def test_a_missing_secret_is_misconfigured_and_nothing_is_sent(unit, monkeypatch, value):
    if value is None:
        monkeypatch.delenv(VAR, raising=False)
    else:
        monkeypatch.setenv(VAR, value)
    route = unit.post(URL).mock(return_value=httpx.Response(202))
    with pytest.raises(Misconfigured, match=VAR):
        adapter().serve(delivery())
    assert not route.called


def test_a_secret_that_cannot_be_a_header_is_misconfigured(unit, monkeypatch):
    monkeypatch.setenv(VAR, "密钥-gjj")
    unit.post(URL).mock(return_value=httpx.Response(202))
    with pytest.raises(Misconfigured, match=VAR):
        adapter().serve(delivery())


@contextmanager
def plain_unit() -> Iterator[str]:
    """A real HTTP endpoint on 127.0.0.1 that answers 202 to one request (respx cannot show h11's checks)."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(3)

    def answer() -> None:
        try:
            conn, _ = server.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(3)
            data = b""
            while b"\r\n\r\n" not in data and (chunk := conn.recv(65536)):
                data += chunk
            conn.sendall(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}/tasks"
    finally:
        server.close()
        thread.join(3)


def test_a_secret_with_a_line_break_is_never_echoed_in_the_error(monkeypatch):
    monkeypatch.setenv(VAR, SECRET + "\r\n")
    with plain_unit() as url:
        try:
            outcome = adapter(url=url).serve(delivery())
        except Misconfigured as exc:
            assert VAR in str(exc) and SECRET not in str(exc)
        else:
            assert SECRET not in repr(outcome)
            assert isinstance(outcome, Served)


# --- 2xx: served, with or without an immediate receipt -----------------------------------------


def test_202_with_json_is_served_without_a_receipt(unit, token):
    unit.post(URL).mock(return_value=httpx.Response(202, json={"status": "queued", "id": 88}))
    before = now()
    outcome = adapter().serve(delivery())
    assert isinstance(outcome, Served)
    assert outcome.receipt is None and outcome.note is None
    assert before <= outcome.at <= now() + timedelta(seconds=1)


def test_200_with_a_receipt_returns_those_exact_bytes(unit, token):
    receipt = example("receipt-found.xml")
    unit.post(URL).mock(
        return_value=httpx.Response(
            200, content=receipt, headers={"Content-Type": "application/xml; charset=utf-8"}
        )
    )
    outcome = adapter().serve(delivery())
    assert isinstance(outcome, Served) and outcome.receipt == receipt


def test_200_with_xml_that_is_not_a_receipt_has_no_receipt(unit, token):
    ack = b'<?xml version="1.0"?><Ack xmlns="urn:unit:gjj"><Task>4711</Task><Status>OK</Status></Ack>'
    unit.post(URL).mock(
        return_value=httpx.Response(200, content=ack, headers={"Content-Type": "application/xml"})
    )
    outcome = adapter().serve(delivery())
    assert isinstance(outcome, Served) and outcome.receipt is None


def test_200_echoing_the_request_is_not_taken_for_a_receipt(unit, token):
    task = delivery()
    unit.post(URL).mock(
        return_value=httpx.Response(200, content=task.document, headers={"Content-Type": "text/xml"})
    )
    outcome = adapter().serve(task)
    assert isinstance(outcome, Served) and outcome.receipt is None


# --- passing failures: retry later ---------------------------------------------------------------


def test_503_with_retry_after_seconds_is_retried_after_that_delay(unit, token):
    unit.post(URL).mock(
        return_value=httpx.Response(503, text="maintenance until 14:00", headers={"Retry-After": "120"})
    )
    outcome = adapter().serve(delivery())
    assert isinstance(outcome, RetryLater)
    assert outcome.delay_s == 120
    assert URL in outcome.error and "503" in outcome.error and "maintenance until 14:00" in outcome.error


def test_retry_after_as_an_http_date_is_honoured(unit, token):
    when = now() + timedelta(hours=1)
    unit.post(URL).mock(
        return_value=httpx.Response(503, headers={"Retry-After": format_datetime(when, usegmt=True)})
    )
    outcome = adapter().serve(delivery())
    assert isinstance(outcome, RetryLater)
    assert 3600 - 5 <= outcome.delay_s <= 3600


@pytest.mark.parametrize("value", ["²", "12a", "-5", "tomorrow"])
def test_a_retry_after_that_is_no_delay_leaves_the_hubs_own_backoff(unit, token, value):
    """ "²" is a digit to str.isdigit, not to float: the adapter raised instead of answering (found in review)."""
    unit.post(URL).mock(return_value=httpx.Response(503, headers={"Retry-After": value.encode("latin-1")}))
    outcome = adapter().serve(delivery())
    assert isinstance(outcome, RetryLater) and outcome.delay_s == 0


@pytest.mark.parametrize("status", [408, 425, 429, 502, 504])
def test_busy_or_timed_out_statuses_are_retried(unit, token, status):
    unit.post(URL).mock(return_value=httpx.Response(status))
    outcome = adapter().serve(delivery())
    assert isinstance(outcome, RetryLater)
    assert outcome.delay_s == 0  # no Retry-After: the hub's own backoff applies
    assert URL in outcome.error and str(status) in outcome.error


def test_an_html_error_page_is_cut_to_a_short_excerpt(unit, token):
    page = (
        "<!DOCTYPE html>\n<html><head><title>500 Internal Server Error</title></head>\n<body>\n"
        + "<pre>java.lang.NullPointerException\n" * 200
        + "</pre></body></html>\n"
    )
    unit.post(URL).mock(
        return_value=httpx.Response(500, text=page, headers={"Content-Type": "text/html; charset=utf-8"})
    )
    outcome = adapter().serve(delivery())
    assert isinstance(outcome, RetryLater)
    assert outcome.error.startswith(f"{URL}: HTTP 500")
    assert "500 Internal Server Error" in outcome.error
    assert len(outcome.error.removeprefix(URL)) <= 250
    assert "\n" not in outcome.error


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("timed out"),
        httpx.ConnectTimeout("timed out"),
        httpx.ConnectError("[Errno 111] Connection refused"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
    ],
    ids=["read-timeout", "connect-timeout", "refused", "broken"],
)
def test_network_failures_are_retried_never_raised(unit, token, failure):
    unit.post(URL).mock(side_effect=failure)
    outcome = adapter(timeout_s=7).serve(delivery())
    assert isinstance(outcome, RetryLater)
    assert URL in outcome.error
    if isinstance(failure, httpx.TimeoutException):
        assert "7 s" in outcome.error
    else:
        assert str(failure) in outcome.error


# --- refused for good -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (400, "RequestNo missing"),
        (401, "bad token"),
        (404, "no such endpoint"),
        (413, ""),
    ],
)
def test_client_errors_refuse_the_task(unit, token, status, body):
    unit.post(URL).mock(return_value=httpx.Response(status, text=body))
    outcome = adapter().serve(delivery())
    assert isinstance(outcome, Refused)
    assert URL in outcome.error and f"HTTP {status}" in outcome.error and body in outcome.error


def test_a_refusal_ignores_retry_after(unit, token):
    unit.post(URL).mock(return_value=httpx.Response(403, headers={"Retry-After": "60"}))
    assert isinstance(adapter().serve(delivery()), Refused)


# --- answers read as they come, never past the limit ------------------------------------------------

MIB = 1024 * 1024


@contextmanager
def answering_unit(head: bytes, body: Iterator[bytes]) -> Iterator[tuple[str, list[int]]]:
    """A unit's system on 127.0.0.1 that takes one request, then sends `head` and the pieces of `body` for as
    long as the hub reads them; the URL, and how many body bytes it got out (filled in when it stops)."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(5)
    sent: list[int] = []

    def answer() -> None:
        try:
            conn, _ = server.accept()
        except OSError:
            return
        count = 0
        with conn:
            conn.settimeout(5)
            data = b""
            while b"\r\n\r\n" not in data and (chunk := conn.recv(65536)):
                data += chunk
            headers, _, got = data.partition(b"\r\n\r\n")
            length = next(
                int(line.split(b":")[1])
                for line in headers.split(b"\r\n")
                if line.lower().startswith(b"content-length")
            )
            while len(got) < length and (chunk := conn.recv(65536)):
                got += chunk
            try:
                conn.sendall(head)
                for piece in body:
                    conn.sendall(piece)
                    count += len(piece)
            except OSError:  # the hub stopped reading and closed the connection
                pass
        sent.append(count)

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}/tasks", sent
    finally:
        thread.join(10)
        server.close()


def _spaces(total: int) -> Iterator[bytes]:
    piece = b" " * (64 * 1024)
    for _ in range(total // len(piece)):
        yield piece


def _gzip_bomb(total: int) -> bytes:
    """gzip data inflating to `total` spaces (a multiple of 1 MiB): one compressed MiB repeated, about 1 KiB each
    (a full flush starts each block afresh, so the same bytes follow each other)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(b" " * MIB) + compressor.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(total // MIB):
        crc = zlib.crc32(b" " * MIB, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
    return header + block * (total // MIB) + compressor.flush() + struct.pack("<II", crc, total % 2**32)


def _served_with_peak(url: str) -> tuple[object, int, float]:
    tracemalloc.start()
    started = time.perf_counter()
    try:
        outcome = adapter(url=url, timeout_s=5).serve(delivery())
        return outcome, tracemalloc.get_traced_memory()[1], time.perf_counter() - started
    finally:
        tracemalloc.stop()


def test_a_huge_answer_is_read_only_up_to_the_limit_in_little_memory(token):
    limit = Settings().max_document_bytes
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nConnection: close\r\n\r\n<A>"
    with answering_unit(head, _spaces(200 * MIB)) as (url, sent):
        outcome, peak, _ = _served_with_peak(url)
    assert isinstance(outcome, Served) and outcome.receipt is None
    assert outcome.note == f"the answer is larger than the limit of {limit} bytes: not read"
    assert peak < 3 * limit
    assert sent[0] < 40 * MIB  # what the unit got out before the hub hung up, socket buffers included


def test_a_gzip_bomb_is_inflated_only_up_to_the_limit(token):
    limit = Settings().max_document_bytes
    bomb = _gzip_bomb(512 * MIB)
    assert len(bomb) < MIB
    head = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Encoding: gzip\r\n"
        b"Content-Length: %d\r\n\r\n" % len(bomb)
    )
    with answering_unit(head, iter([bomb])) as (url, _):
        outcome, peak, _ = _served_with_peak(url)
    assert isinstance(outcome, Served) and outcome.receipt is None
    assert outcome.note == f"the answer is larger than the limit of {limit} bytes: not read"
    assert peak < 3 * limit


def test_an_answer_declaring_more_than_the_limit_is_not_read_at_all(token):
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Length: 314572800\r\n\r\n<A>"
    with answering_unit(head, iter([])) as (url, _):  # sends nothing more: reading would wait for it
        outcome, _, seconds = _served_with_peak(url)
    assert isinstance(outcome, Served)
    assert (
        outcome.note
        == f"the answer declares 314572800 bytes, more than the limit of {Settings().max_document_bytes}: not read"
    )
    assert seconds < 2


def test_a_huge_error_answer_is_read_only_for_its_excerpt(token):
    head = b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nbusy "
    with answering_unit(head, _spaces(200 * MIB)) as (url, sent):
        outcome, peak, _ = _served_with_peak(url)
    assert isinstance(outcome, RetryLater) and outcome.error == f"{url}: HTTP 503: busy"
    assert peak < 4 * MIB and sent[0] < 40 * MIB


def test_a_gzip_answer_within_the_limit_is_read_as_sent(unit, token):
    receipt = example("receipt-found.xml")
    unit.post(URL).mock(
        return_value=httpx.Response(
            200,
            content=gzip.compress(receipt),
            headers={"Content-Type": "application/xml", "Content-Encoding": "gzip"},
        )
    )
    outcome = adapter().serve(delivery())
    assert isinstance(outcome, Served) and outcome.receipt == receipt


# --- the URL's password is never in a message ----------------------------------------------------
