"""The append-only audit log: each event carries the hash of the one before it (the formula: hub/chain.py)."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.chain import GENESIS, canonical, event_hash
from hub.clock import now
from hub.models import AuditEvent, AuditHead


def digest_of(event: AuditEvent, prev_hash: str) -> str:
    """The hash an event must carry after `prev_hash`, from its stored fields."""
    return event_hash(
        prev_hash,
        seq=event.seq,
        at=event.at.isoformat(),
        actor=event.actor,
        kind=event.kind,
        entity=event.entity,
        entity_id=event.entity_id,
        data=event.data,
    )


HEAD_LOCKED = "hub.audit_head"  # session.info: (the transaction that locked the head row, the row)


def record(
    session: Session,
    *,
    actor: str,
    kind: str,
    entity: str,
    entity_id: object,
    data: dict[str, Any],
    flush: bool = True,
) -> AuditEvent:
    """Append one event in the caller's transaction. Appends are serialised by the head row's lock, taken
    once per transaction (a request records two or more events). flush=False leaves the flush to the
    caller, who must flush before any savepoint: one rolled back would take the event with it."""
    transaction = session.get_transaction()
    head = session.info.get(HEAD_LOCKED)
    if head is None or head[0] is not transaction:
        row = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one()
        head = session.info[HEAD_LOCKED] = (transaction, row)
    head = head[1]
    event = AuditEvent(
        seq=head.seq + 1,
        at=now(),
        actor=actor,
        kind=kind,
        entity=entity,
        entity_id=str(entity_id),
        data=canonical(data),
        prev_hash=head.hash,
    )
    event.hash = digest_of(event, head.hash)
    session.add(event)
    head.seq, head.hash = event.seq, event.hash
    if flush:
        session.flush()
    return event


@dataclass(frozen=True)
class Verdict:
    ok: bool
    events: int
    broken_seq: int | None = None
    reason: str = ""


def _events(session: Session) -> Iterator[AuditEvent]:
    yield from session.execute(
        select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=1000)
    ).scalars()


def verify(session: Session) -> Verdict:
    """Walk the chain from the start; name the first event whose link or hash does not hold."""
    prev, expected_seq, count = GENESIS, 1, 0
    for event in _events(session):
        if event.seq != expected_seq:
            return Verdict(False, count, event.seq, f"event {expected_seq} is missing")
        if event.prev_hash != prev:
            return Verdict(False, count, event.seq, "its prev_hash does not match the event before it")
        digest = digest_of(event, prev)
        if digest != event.hash:
            return Verdict(False, count, event.seq, "its content does not match its hash")
        prev, expected_seq, count = event.hash, expected_seq + 1, count + 1
    head = session.get(AuditHead, 1)
    if head is not None and (head.seq != count or head.hash != prev):
        return Verdict(
            False, count, count + 1, f"the chain ends at event {count} but its head says {head.seq}"
        )
    return Verdict(True, count)
