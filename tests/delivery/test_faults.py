"""Faults at the units: slow, broken and flaky systems cost retries; each task is served once in the end."""

import os
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx
from conftest import example, multipart, submit
from loopback import Answer

from hub.clock import now

PUSH = {"kind": "http-push", "token_env": "HUB_TEST_PUSH_SECRET"}
ROOT = Path(__file__).resolve().parents[2]


def attempts(client, headers, task_id: int) -> list[tuple[str, str | None]]:
    [delivery] = client.get(f"/api/v1/tasks/{task_id}/deliveries", headers=headers).json()
    return [(a["outcome"], a["error"]) for a in delivery["attempt_log"]]


def test_a_unit_that_does_not_answer_in_time_is_tried_again(
    client, token, switch, endpoint, worker, monkeypatch
):
    monkeypatch.setenv("HUB_TEST_PUSH_SECRET", "s")
    endpoint.answer(Answer(delay_s=1.5), Answer())
    switch("housing-fund", {**PUSH, "url": endpoint.url, "timeout_s": 0.5})
    officer = token("officer")
    task_id = submit(client, officer, "request-freeze.xml")["tasks"][0]["id"]
    worker.run_deliveries()
    (first, error), (second, _) = attempts(client, token("admin"), task_id)  # the channel's words: theirs
    assert (first, second) == ("retry", "served") and "no answer within 0.5 s" in error
    assert {r.headers["X-Hub-Task-Id"] for r in endpoint.received} == {str(task_id)}  # the same task twice


def test_a_unit_that_answers_garbage_is_tried_again(client, token, switch, endpoint, worker, monkeypatch):
    monkeypatch.setenv("HUB_TEST_PUSH_SECRET", "s")
    endpoint.answer(Answer(raw=b"\x00\x01 not http at all\r\n\r\n"), Answer())
    switch("housing-fund", {**PUSH, "url": endpoint.url})
    officer = token("officer")
    task_id = submit(client, officer, "request-freeze.xml")["tasks"][0]["id"]
    worker.run_deliveries()
    (first, error), (second, _) = attempts(client, token("admin"), task_id)
    assert (first, second) == ("retry", "served") and "RemoteProtocolError" in error


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_flaky_unit_system_answers_each_task_exactly_once(
    client, token, switch, worker, tmp_path, monkeypatch
):
    """The simulator fails 60 % of pushes with 503 and answers the rest at once with its receipt."""
    monkeypatch.setenv("HUB_TEST_PUSH_SECRET", "flaky-secret")
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("HUB_")},
        "SIMULATOR_SECRET": "flaky-secret",
    }
    log = (tmp_path / "simulator.log").open("wb")
    simulator = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hub.simulator",
            "housing-fund",
            "--port",
            str(port),
            "--sync",
            "--fail-rate",
            "0.6",
            "--seed",
            "7",
        ],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=log,
    )
    try:
        for _ in range(100):
            try:
                httpx.get(f"http://127.0.0.1:{port}/healthz")
                break
            except httpx.TransportError:
                time.sleep(0.1)
        worker.hub.settings.delivery_max_attempts = 30
        switch("housing-fund", {**PUSH, "url": f"http://127.0.0.1:{port}/tasks"})
        officer = token("officer")
        requests = [submit(client, officer, name) for name in ("request-freeze.xml", "request-deduct.xml")]
        while worker.run_deliveries(at=now() + timedelta(hours=1)):  # past each Retry-After at once
            pass
    finally:
        simulator.terminate()
        simulator.wait(10)
        log.close()
    for request in requests:
        task = next(t for t in request["tasks"] if t["unit_code"] == "housing-fund")
        log_of = attempts(client, officer, task["id"])
        assert [o for o, _ in log_of][-1] == "served" and all(o == "retry" for o, _ in log_of[:-1])
        assert all("HTTP 503" in e for _, e in log_of[:-1])
        receipts = client.get(f"/api/v1/tasks/{task['id']}/receipts", headers=officer).json()
        assert len(receipts) == 1
        assert client.get(f"/api/v1/tasks/{task['id']}", headers=officer).json()["status"] == "completed"
    retried = sum(
        len(attempts(client, officer, t["id"]))
        for r in requests
        for t in r["tasks"]
        if t["unit_code"] == "housing-fund"
    )
    assert (
        retried > 2
    )  # with 60 % failures, two tasks taking exactly two attempts is unlikely: the seed fixes it


def _bare_receipt() -> bytes:
    """The CONTROLLED receipt as a unit's system answers in the push response: with no attachment."""
    document = example("receipt-controlled.xml")
    start, end = (
        document.index(b"  <Attachments>"),
        document.index(b"</Attachments>\n") + len(b"</Attachments>\n"),
    )
    return document[:start] + document[end:]


def test_a_unit_that_answers_twice_has_its_receipt_applied_once(
    client, token, switch, endpoint, worker, monkeypatch
):
    """The unit's system answers the push with its receipt too slowly, is pushed the same task again and
    answers again, then also posts the receipt through the API: one receipt, the task answered once."""
    monkeypatch.setenv("HUB_TEST_PUSH_SECRET", "s")
    receipt = _bare_receipt()
    xml = {"status": 200, "body": receipt, "content_type": "application/xml"}
    endpoint.answer(Answer(delay_s=1.5, **xml), Answer(delay_s=0.2, **xml))  # slow, then slow but in time
    switch("housing-fund", {**PUSH, "url": endpoint.url, "timeout_s": 1})
    officer, unit = token("officer"), token("staff-housing-fund")
    task_id = submit(client, officer, "request-freeze.xml")["tasks"][0]["id"]
    worker.run_deliveries()
    assert [o for o, _ in attempts(client, officer, task_id)] == ["retry", "served"]
    assert [r.headers["X-Hub-Task-Id"] for r in endpoint.received] == [str(task_id)] * 2

    again = client.post(f"/api/v1/tasks/{task_id}/receipts", files=multipart(receipt), headers=unit)
    assert again.status_code == 200, again.text  # the same ReceiptNo and bytes: the first answer again
    other = client.post(
        f"/api/v1/tasks/{task_id}/receipts",
        files=multipart(receipt.replace("王五".encode(), "王六".encode())),
        headers=unit,
    )
    assert other.status_code == 409 and other.json()["error"]["code"] == "receipt_no_conflict"
    receipts = client.get(f"/api/v1/tasks/{task_id}/receipts", headers=officer).json()
    assert [r["receipt_no"] for r in receipts] == ["HF-2026-8891"]
    assert client.get(f"/api/v1/tasks/{task_id}", headers=officer).json()["status"] == "completed"
