"""Transactions that only read (the caller's token, the right to answer a task) never queue behind writers."""

import threading

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import DBAPIError

from hub.db import reading, unit_of_work
from hub.models import Blob, User


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
