"""Transactions that only read (the caller's token, the right to answer a task) never queue behind writers."""

import threading

import pytest
from conftest import edited, example, example_file, listed_files
from sqlalchemy import func, insert, select
from sqlalchemy.exc import DBAPIError

from hub.auth.service import principal, user_by_name
from hub.db import reading, unit_of_work
from hub.errors import Conflict
from hub.models import Blob, Request, User
from hub.requests.service import Submission, keep_files, submit_request


def test_a_read_goes_on_while_a_write_is_open_and_sees_only_what_was_committed(hub, client, token):
    seen: list[int] = []
    staff = token("staff-vehicles")
    with unit_of_work(hub.sessions) as writing:
        writing.execute(insert(Blob).values(sha256="f" * 64, size=1, created_at=func.now()))
        writing.flush()

        def read() -> None:
            with reading(hub.readers) as session:
                seen.append(session.execute(select(func.count()).select_from(Blob)).scalar_one())

        reader = threading.Thread(target=read)
        reader.start()
        reader.join(timeout=10)
        assert not reader.is_alive(), "the read waited for the open write transaction"
        assert seen == [0]
        # a caller's token is looked up in such a read: the API answers while the write is open (a unit
        # may not submit requests: refused on the caller's role, before any transaction that writes)
        answered = []
        caller = threading.Thread(
            target=lambda: answered.append(client.post("/api/v1/requests", content=b"<x/>", headers=staff))
        )
        caller.start()
        caller.join(timeout=10)
        assert not caller.is_alive(), "the token lookup waited for the open write transaction"
    assert answered[0].status_code == 403
    assert "enforcement officer" in answered[0].json()["error"]["message"]


def test_a_write_in_a_read_only_transaction_fails_and_the_connection_writes_again_afterwards(hub):
    with pytest.raises(DBAPIError, match=r"(?i)read.only|readonly"), reading(hub.readers) as session:
        session.execute(insert(Blob).values(sha256="e" * 64, size=1, created_at=func.now()))
    for n in range(3):  # the pooled connections go back to writing
        with unit_of_work(hub.sessions) as session:
            session.execute(insert(Blob).values(sha256=f"{n}" * 64, size=1, created_at=func.now()))
        with reading(hub.readers) as session:
            assert session.execute(select(func.count()).select_from(User)).scalar_one() > 0
    with reading(hub.readers) as session:
        assert session.execute(select(func.count()).select_from(Blob)).scalar_one() == 3


@pytest.mark.parametrize("same_content", [False, True], ids=["other-content", "same-content"])
def test_a_request_no_held_by_an_open_transaction_is_waited_for_then_judged(hub, same_content):
    """The first of two submissions of one RequestNo has inserted it but not committed when the second
    looks it up: the second waits for the first, then is refused as a conflict (other content) or answered
    with the first's request (same content). On PostgreSQL this is the insert's unique violation, met in
    a savepoint; on SQLite the wait is for the write lock, before the lookup."""
    with unit_of_work(hub.sessions) as session:
        officer = principal(user_by_name(session, "officer"))
        files = {name: example_file(name) for name in listed_files(example("request-query.xml"))}
        keep_files(session, blobs=hub.blobs, court_code="J2426", files=files)  # sent before by the court
    first = example("request-query.xml")
    second = first if same_content else edited(first, ("<CaseNo>", "<CaseNo>（补）"))

    def submit(document: bytes) -> tuple[Request, bool]:
        with unit_of_work(hub.sessions) as session:
            return submit_request(
                session,
                settings=hub.settings,
                blobs=hub.blobs,
                principal=officer,
                submission=Submission(document),
            )

    inserted, release = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def hold_first() -> None:
        with unit_of_work(hub.sessions) as session:
            outcome["first"] = submit_request(
                session,
                settings=hub.settings,
                blobs=hub.blobs,
                principal=officer,
                submission=Submission(first),
            )
            inserted.set()
            release.wait(timeout=30)

    holder = threading.Thread(target=hold_first)
    holder.start()
    assert inserted.wait(timeout=30)
    threading.Timer(0.5, release.set).start()  # the second is waiting on the first by then
    try:
        got = submit(second)
    except Conflict as exc:
        got = exc
    holder.join(timeout=30)

    first_request, created = outcome["first"]
    assert created
    if same_content:
        request, created = got
        assert (request.id, created) == (first_request.id, False)
    else:
        assert isinstance(got, Conflict) and got.code == "request_no_conflict", got
    with unit_of_work(hub.sessions) as session:
        assert session.execute(select(func.count()).select_from(Request)).scalar_one() == 1
