"""The delivery queue: tasks reach units through their channels, retry, fall back, and are never lost."""

import json
import re
import threading
from datetime import timedelta

import pytest
from conftest import example, multipart, sent_by_hub, submit
from loopback import Answer
from sqlalchemy import select, update

from hub.clock import now
from hub.db import unit_of_work
from hub.delivery.service import backoff_s, claim_due
from hub.delivery.worker import Worker
from hub.models import AuditEvent, QueuedDelivery

PUSH = {"kind": "http-push", "token_env": "HUB_TEST_PUSH_SECRET", "timeout_s": 2}


def answered_at_once(name: str = "receipt-found.xml") -> bytes:
    """A receipt the registry gives in its push answer (no attachments: nothing else travels with it)."""
    return re.sub(rb"\s*<Attachments>.*?</Attachments>", b"", example(name), flags=re.S)


@pytest.fixture
def secret(monkeypatch) -> str:
    monkeypatch.setenv("HUB_TEST_PUSH_SECRET", "s3cret-for-tests")
    return "s3cret-for-tests"


@pytest.fixture
def officer(token):
    return token("officer")


def task_of(client, headers, request: dict, unit: str) -> dict:
    task = next(t for t in request["tasks"] if t["unit_code"] == unit)
    return client.get(f"/api/v1/tasks/{task['id']}", headers=headers).json()


def deliveries(client, headers, task_id: int) -> list[dict]:
    response = client.get(f"/api/v1/tasks/{task_id}/deliveries", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_an_inbox_unit_is_served_at_once_and_its_delivery_recorded(client, officer):
    request = submit(client, officer, "request-query.xml")
    task = task_of(client, officer, request, "civil-affairs")
    assert task["status"] == "served" and task["served_at"] >= request["received_at"]
    [delivery] = deliveries(client, officer, task["id"])
    assert (delivery["kind"], delivery["status"], delivery["attempts"]) == ("inbox", "served", 1)
    assert [a["outcome"] for a in delivery["attempt_log"]] == ["served"]


def test_a_pushed_task_reaches_the_unit_as_sent_and_its_clock_starts_then(
    hub, client, officer, switch, endpoint, worker, secret
):
    switch("real-estate", {**PUSH, "url": endpoint.url})
    request = submit(client, officer, "request-query.xml")
    task = task_of(client, officer, request, "real-estate")
    assert task["status"] == "created" and task["due_at"] is None  # not the unit's fault yet

    assert worker.run_deliveries() == 1
    [got] = endpoint.received
    assert sent_by_hub(hub, got.body) == example("request-query.xml")
    assert got.headers["Content-Type"] == "application/xml"
    assert got.headers["X-Hub-Task-Id"] == str(task["id"])
    assert got.headers["X-Hub-Request-No"] == "AT-2026-000101"
    assert got.headers["Authorization"] == f"Bearer {secret}"
    task = task_of(client, officer, request, "real-estate")
    assert task["status"] == "served" and task["served_at"] > request["received_at"]
    assert task["due_at"] is not None
    assert worker.run_deliveries() == 0  # nothing is served twice


def test_a_unit_that_answers_at_once_has_its_receipt_applied(
    hub, client, officer, switch, endpoint, worker, secret
):
    endpoint.answer(Answer(200, answered_at_once(), "application/xml"))
    switch("real-estate", {**PUSH, "url": endpoint.url})
    request = submit(client, officer, "request-query.xml")
    worker.run_deliveries()
    task = task_of(client, officer, request, "real-estate")
    assert (task["status"], task["outcome"]) == ("completed", "FOUND")
    receipts = client.get(f"/api/v1/tasks/{task['id']}/receipts", headers=officer).json()
    assert [r["receipt_no"] for r in receipts] == ["RE-2026-0301"]


def test_an_answer_that_is_not_a_valid_receipt_is_noted_and_the_task_stays_served(
    hub, client, officer, switch, endpoint, worker, secret
):
    wrong_unit = answered_at_once().replace(b"<UnitCode>real-estate", b"<UnitCode>vehicles")
    endpoint.answer(Answer(200, wrong_unit, "application/xml"))
    switch("real-estate", {**PUSH, "url": endpoint.url})
    request = submit(client, officer, "request-query.xml")
    worker.run_deliveries()
    task = task_of(client, officer, request, "real-estate")
    assert task["status"] == "served"
    [attempt] = deliveries(client, officer, task["id"])[0]["attempt_log"]
    assert attempt["outcome"] == "served"
    assert "not taken as a receipt" in attempt["note"] and "UnitCode" in attempt["note"]


def test_a_busy_unit_costs_retries_then_is_served(client, officer, token, switch, endpoint, worker, secret):
    endpoint.answer(Answer(503, b"busy", "text/plain"), Answer(503, b"busy", "text/plain"), Answer(202))
    worker.hub.settings.delivery_max_attempts = 3
    switch("real-estate", {**PUSH, "url": endpoint.url})
    request = submit(client, officer, "request-query.xml")
    worker.run_deliveries()
    task = task_of(client, officer, request, "real-estate")
    assert task["status"] == "served"
    [delivery] = deliveries(client, token("admin"), task["id"])
    assert [a["outcome"] for a in delivery["attempt_log"]] == ["retry", "retry", "served"]
    assert "HTTP 503: busy" in delivery["attempt_log"][0]["error"]
    [seen] = deliveries(client, officer, task["id"])  # the officer: why, not what the unit wrote
    assert seen["attempt_log"][0]["error"] == (
        "The unit's system could not take the task for now (HTTP 503); the hub tries again."
    )
    assert {r.headers["X-Hub-Task-Id"] for r in endpoint.received} == {str(task["id"])}


def test_a_dead_unit_falls_back_to_email_then_to_the_inbox_with_every_attempt_visible(
    client, officer, token, switch, dead_url, worker, secret, smtp
):
    worker.hub.settings.smtp_host, worker.hub.settings.smtp_port = smtp.host, smtp.port
    smtp.stop()  # the mail server is down too
    switch("real-estate", {**PUSH, "url": dead_url}, "email", "inbox")
    request = submit(client, officer, "request-query.xml")
    worker.run_deliveries()

    task = task_of(client, officer, request, "real-estate")
    assert task["status"] == "served"  # in the inbox, its clock running
    push, mail, inbox = deliveries(client, token("admin"), task["id"])
    assert [(d["kind"], d["status"], d["attempts"]) for d in (push, mail, inbox)] == [
        ("http-push", "failed", 2),
        ("email", "failed", 2),
        ("inbox", "served", 1),
    ]
    assert all("ConnectError" in a["error"] for a in push["attempt_log"])
    assert all(f"{smtp.host}:{smtp.port}" in a["error"] for a in mail["attempt_log"])
    listed = client.get(
        "/api/v1/deliveries", params={"status": "failed", "unit": "real-estate"}, headers=token("admin")
    ).json()
    assert listed["total"] == 2


def test_a_dead_unit_with_mail_working_is_served_by_email(
    client, officer, switch, dead_url, worker, secret, smtp
):
    worker.hub.settings.smtp_host, worker.hub.settings.smtp_port = smtp.host, smtp.port
    switch("real-estate", {**PUSH, "url": dead_url}, "email", "inbox")
    request = submit(client, officer, "request-query.xml")
    worker.run_deliveries()
    task = task_of(client, officer, request, "real-estate")
    assert [(d["kind"], d["status"]) for d in deliveries(client, officer, task["id"])] == [
        ("http-push", "failed"),
        ("email", "served"),
    ]
    [message] = smtp.messages
    assert "AT-2026-000101" in message["Subject"] and message["To"] == "real-estate.staff@example.org"


def test_exhausted_channels_leave_the_task_to_an_administrator(
    client, officer, token, switch, dead_url, worker, secret
):
    switch("real-estate", {**PUSH, "url": dead_url})
    request = submit(client, officer, "request-query.xml")
    worker.run_deliveries()
    task = task_of(client, officer, request, "real-estate")
    assert task["status"] == "created"
    with unit_of_work(worker.hub.sessions) as session:
        events = session.execute(
            select(AuditEvent.kind, AuditEvent.data).where(
                AuditEvent.entity == "task", AuditEvent.entity_id == str(task["id"])
            )
        ).all()
    [exhausted] = [json.loads(data) for kind, data in events if kind == "delivery.exhausted"]
    # the chain goes into the case's evidence: why in plain words, not the connection error or the URL
    assert exhausted["error"] == "The unit's system could not take the task in repeated attempts."
    assert dead_url not in json.dumps(exhausted)
    admin = token("admin")
    [failed] = client.get("/api/v1/deliveries", params={"status": "failed"}, headers=admin).json()["items"]
    assert failed["task_id"] == task["id"]


def test_serving_again_is_for_administrators_and_reaches_the_unit_with_the_same_task(
    client, officer, token, switch, dead_url, endpoint, worker, secret
):
    switch("real-estate", {**PUSH, "url": dead_url})
    request = submit(client, officer, "request-query.xml")
    worker.run_deliveries()
    task = task_of(client, officer, request, "real-estate")
    [failed] = deliveries(client, officer, task["id"])
    assert client.post(f"/api/v1/deliveries/{failed['id']}/serve-again", headers=officer).status_code == 403

    switch("real-estate", {**PUSH, "url": endpoint.url})  # the unit's address fixed
    admin = token("admin")
    again = client.post(f"/api/v1/deliveries/{failed['id']}/serve-again", headers=admin)
    assert again.status_code == 201 and again.json()["status"] == "waiting"
    second = client.post(f"/api/v1/deliveries/{failed['id']}/serve-again", headers=admin)
    assert second.status_code == 409 and second.json()["error"]["code"] == "delivery_pending"
    worker.run_deliveries()
    assert [r.headers["X-Hub-Task-Id"] for r in endpoint.received] == [str(task["id"])]
    assert task_of(client, officer, request, "real-estate")["status"] == "served"


def test_a_cancelled_request_is_not_pushed(client, officer, switch, endpoint, worker, secret):
    switch("real-estate", {**PUSH, "url": endpoint.url})
    request = submit(client, officer, "request-query.xml")
    cancel = client.post(
        f"/api/v1/requests/{request['id']}/cancel", json={"reason": "录入错误"}, headers=officer
    )
    assert cancel.status_code == 200
    assert worker.run_deliveries() == 0
    assert endpoint.received == []
    task = task_of(client, officer, request, "real-estate")
    [delivery] = deliveries(client, officer, task["id"])
    assert delivery["status"] == "cancelled" and "cancelled" in delivery["last_error"]


def test_backoff_doubles_with_jitter():
    for attempt in (1, 2, 3, 5):
        delay = backoff_s(attempt, base_s=30)
        assert 30 * 2 ** (attempt - 1) * 0.75 <= delay <= 30 * 2 ** (attempt - 1) * 1.25
    assert backoff_s(1, base_s=30, hint_s=120) == 120  # a unit's Retry-After is honoured
    assert backoff_s(40, base_s=30) == 6 * 3600


def test_a_failed_attempt_waits_for_its_backoff(client, officer, switch, dead_url, worker, secret):
    worker.hub.settings.delivery_retry_base_s = 30
    switch("real-estate", {**PUSH, "url": dead_url})
    submit(client, officer, "request-query.xml")
    assert worker.run_deliveries() == 1  # the second attempt is not due yet
    with unit_of_work(worker.hub.sessions) as session:
        delivery = session.execute(
            select(QueuedDelivery).where(QueuedDelivery.kind == "http-push")
        ).scalar_one()
        wait = (delivery.next_at - now()).total_seconds()
        assert delivery.status == "waiting" and 20 <= wait <= 38
    assert worker.run_deliveries(at=now() + timedelta(minutes=1)) == 1


def test_two_workers_never_claim_the_same_delivery(hub, client, officer, switch, endpoint):
    switch("real-estate", {**PUSH, "url": endpoint.url})
    document = example("request-query.xml")
    for n in range(12):
        numbered = document.replace(b"AT-2026-000101", f"AT-2026-9{n:05d}".encode())
        response = client.post("/api/v1/requests", files=multipart(numbered, "notice.pdf"), headers=officer)
        assert response.status_code == 201, response.text
    claims: dict[str, list[int]] = {"a": [], "b": []}

    def claim(name: str) -> None:
        while True:
            with unit_of_work(hub.sessions) as session:
                ids = claim_due(session, worker=name, at=now(), limit=3)
            if not ids:
                return
            claims[name] += ids

    threads = [threading.Thread(target=claim, args=(name,)) for name in claims]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not set(claims["a"]) & set(claims["b"])
    assert len(claims["a"]) + len(claims["b"]) == 12


def test_a_delivery_whose_worker_died_is_taken_again_after_its_lease(
    hub, client, officer, switch, endpoint, secret
):
    switch("real-estate", {**PUSH, "url": endpoint.url})
    submit(client, officer, "request-query.xml")
    with unit_of_work(hub.sessions) as session:
        [claimed] = claim_due(session, worker="dead-worker", at=now(), limit=10)
    survivor = Worker(hub)
    assert survivor.run_deliveries() == 0  # the lease still holds
    with unit_of_work(hub.sessions) as session:
        session.execute(update(QueuedDelivery).values(lease_until=now() - timedelta(seconds=1)))
    assert survivor.run_deliveries() == 1
    with unit_of_work(hub.sessions) as session:
        assert session.get(QueuedDelivery, claimed).status == "served"
