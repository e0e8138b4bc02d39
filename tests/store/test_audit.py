"""The audit chain: every change of state is an event linked to the one before, and tampering shows."""

import json
import re
import threading
from datetime import timedelta

import pytest
from conftest import example, example_file, multipart
from sqlalchemy import func, select, text

from hub.audit import GENESIS, event_hash, verify
from hub.auth.service import principal, user_by_name
from hub.db import unit_of_work
from hub.models import AuditEvent, AuditHead, Request
from hub.requests.service import Submission, submit_request


def chain(hub) -> list[AuditEvent]:
    with unit_of_work(hub.sessions) as session:
        return session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars().all()


def verdict(hub):
    with unit_of_work(hub.sessions) as session:
        return verify(session)


def said(v) -> str:
    """The verdict as `hub audit verify` prints it."""
    return f"audit chain broken at event {v.broken_seq}: {v.reason}"


def assert_linked(events: list[AuditEvent]) -> None:
    previous = GENESIS
    for expected_seq, event in enumerate(events, start=1):
        assert event.seq == expected_seq
        assert event.prev_hash == previous, event.seq
        assert event.hash != previous and re.fullmatch(r"[0-9a-f]{64}", event.hash)
        previous = event.hash


def submit(client, headers, name: str, *files: str) -> dict:
    response = client.post("/api/v1/requests", files=multipart(example(name), *files), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def busy_chain(hub, client, token):
    """A chain with a few API changes of state on it: two requests, with 1 and 3 tasks."""
    officer = token("officer")
    submit(client, officer, "request-freeze.xml", "ruling.pdf", "notice.pdf")
    submit(client, officer, "request-query.xml")
    return chain(hub)


def test_api_changes_of_state_append_linked_events(hub, client, token):
    officer, staff = token("officer"), token("staff-housing-fund")
    start = chain(hub)
    assert start, "the seeded database records its directory load"

    freeze = submit(client, officer, "request-freeze.xml", "ruling.pdf", "notice.pdf")
    query = submit(client, officer, "request-query.xml")  # notice.pdf is in the store already
    [freeze_task] = freeze["tasks"]
    answered = client.post(
        f"/api/v1/tasks/{freeze_task['id']}/receipts",
        files=multipart(example("receipt-controlled.xml"), "receipt.pdf"),
        headers=staff,
    )
    assert answered.status_code == 201, answered.text

    events = chain(hub)
    assert [e.hash for e in events[: len(start)]] == [e.hash for e in start]
    new = events[len(start) :]
    assert [(e.kind, e.entity, e.entity_id) for e in new] == [
        ("request.received", "request", str(freeze["id"])),
        ("task.served", "task", str(freeze_task["id"])),
        ("request.received", "request", str(query["id"])),
        *[("task.served", "task", str(t["id"])) for t in query["tasks"]],
        ("control.registered", "control", str(answered.json()["controls"][0]["id"])),
        ("receipt.received", "task", str(freeze_task["id"])),
    ]
    assert len(query["tasks"]) == 3
    assert [e.seq for e in new] == list(range(start[-1].seq + 1, start[-1].seq + 1 + len(new)))
    assert_linked(events)
    assert new[0].actor == "user:officer" and new[-1].actor == "user:staff-housing-fund"
    received = json.loads(new[0].data)
    assert (received["request_no"], received["units"]) == ("AT-2026-000123", ["housing-fund"])
    assert {json.loads(e.data)["unit"] for e in new[3:6]} == {"real-estate", "vehicles", "civil-affairs"}

    result = verdict(hub)
    assert (result.ok, result.events) == (True, len(events))
    with unit_of_work(hub.sessions) as session:
        head = session.get(AuditHead, 1)
        assert (head.seq, head.hash) == (events[-1].seq, events[-1].hash)


def test_a_refused_request_adds_no_event(hub, client, token):
    start = chain(hub)
    refused = client.post(
        "/api/v1/requests",
        files=multipart(example("request-renew.xml"), "ruling.pdf", "notice.pdf"),
        headers=token("officer"),
    )
    assert refused.status_code == 422, refused.text
    assert [e.hash for e in chain(hub)] == [e.hash for e in start]


TAMPERING = {
    "actor": lambda e: {"actor": "user:somebody-else"},
    "kind": lambda e: {"kind": e.kind + ".x"},
    "at": lambda e: {"at": e.at + timedelta(microseconds=1)},
    "data": lambda e: {"data": e.data.replace("}", ',"x":1}', 1)},
    "entity_id": lambda e: {"entity_id": e.entity_id + "0"},
}


def update_event(hub, seq: int, values: dict) -> None:
    with unit_of_work(hub.sessions) as session:
        event = session.get(AuditEvent, seq)
        for key, value in values.items():
            setattr(event, key, value)


def test_tampering_with_any_field_of_any_event_is_detected(hub, busy_chain):
    assert len(busy_chain) >= 6
    missed = []
    for event in busy_chain:
        original = {key: getattr(event, key) for key in ("actor", "kind", "at", "data", "entity_id")}
        for field, change in TAMPERING.items():
            update_event(hub, event.seq, change(event))
            result = verdict(hub)
            if result.ok or result.broken_seq != event.seq:
                missed.append((event.seq, field, result))
            update_event(hub, event.seq, {field: original[field]})
        assert verdict(hub).ok, f"restoring event {event.seq} left the chain broken"
    assert missed == []


def test_tampering_through_sql_is_detected(hub, busy_chain):
    middle = busy_chain[len(busy_chain) // 2]
    with hub.engine.begin() as conn:
        conn.execute(
            text("UPDATE audit_events SET actor = 'user:mallory' WHERE seq = :seq"), {"seq": middle.seq}
        )
    result = verdict(hub)
    assert not result.ok and result.broken_seq == middle.seq
    assert re.search(rf"\bevent {middle.seq}\b", said(result))


def test_rewriting_an_event_with_its_own_hash_breaks_the_next_link(hub, busy_chain):
    target, following = busy_chain[2], busy_chain[3]
    data = target.data.replace("}", ',"forged":true}', 1)
    forged_hash = event_hash(
        target.prev_hash,
        seq=target.seq,
        at=target.at.isoformat(),
        actor=target.actor,
        kind=target.kind,
        entity=target.entity,
        entity_id=target.entity_id,
        data=data,
    )
    update_event(hub, target.seq, {"data": data, "hash": forged_hash})
    result = verdict(hub)
    assert not result.ok and result.broken_seq == following.seq


def test_deleting_a_middle_event_is_detected(hub, busy_chain):
    gone = busy_chain[len(busy_chain) // 2]
    with hub.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events WHERE seq = :seq"), {"seq": gone.seq})
    result = verdict(hub)
    assert not result.ok
    assert re.search(rf"\bevent {gone.seq}\b", said(result)), said(result)


def test_deleting_the_last_event_is_detected(hub, busy_chain):
    gone = busy_chain[-1]
    with hub.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events WHERE seq = :seq"), {"seq": gone.seq})
    result = verdict(hub)
    assert not result.ok and result.broken_seq == gone.seq


N_CONCURRENT = 8


def test_concurrent_submissions_keep_one_chain(hub):
    with unit_of_work(hub.sessions) as session:
        officer = principal(user_by_name(session, "officer"))
    start = chain(hub)
    files = {"ruling.pdf": example_file("ruling.pdf"), "notice.pdf": example_file("notice.pdf")}
    document = example("request-freeze.xml")
    barrier = threading.Barrier(N_CONCURRENT)
    errors: list[BaseException] = []

    def submit_one(i: int) -> None:
        submission = Submission(
            document.replace(b"AT-2026-000123", f"AT-2026-9{i:05d}".encode()), dict(files)
        )
        try:
            barrier.wait(timeout=30)
            with unit_of_work(hub.sessions) as session:
                _, created = submit_request(
                    session, settings=hub.settings, blobs=hub.blobs, principal=officer, submission=submission
                )
                assert created
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=submit_one, args=(i,)) for i in range(N_CONCURRENT)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert errors == []

    events = chain(hub)
    seqs = [e.seq for e in events]
    assert len(seqs) == len(set(seqs)) == len(start) + 2 * N_CONCURRENT
    assert_linked(events)
    new = events[len(start) :]
    assert sorted(e.kind for e in new) == ["request.received"] * N_CONCURRENT + ["task.served"] * N_CONCURRENT
    result = verdict(hub)
    assert (result.ok, result.events) == (True, len(events))
    with unit_of_work(hub.sessions) as session:
        numbers = session.execute(select(Request.request_no)).scalars().all()
        assert sorted(numbers) == [f"AT-2026-9{i:05d}" for i in range(N_CONCURRENT)]
        head = session.get(AuditHead, 1)
        assert (head.seq, head.hash) == (events[-1].seq, events[-1].hash)
        assert session.execute(select(func.count()).select_from(AuditEvent)).scalar_one() == len(events)
