"""The ledger of alerts: record what is owed, claim one recipient's owed items, settle them with an e-mail.

Exactly once: an owed item is unique per (kind, entity, entity_id, variant, recipient), so any number of
processes may derive the same item; a recipient's items are claimed with one conditional UPDATE, so one
process sends them; an item is linked to its Alert only after the SMTP server accepted the message. A
process that dies between the server's acceptance and that link leaves the claim to expire, and the item
goes again after CLAIM_LEASE: the one window in which an alert can arrive twice.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from hub.clock import now
from hub.models import Alert, AlertItem

CLAIM_LEASE = timedelta(minutes=10)


@dataclass(frozen=True)
class Owed:
    """One thing to tell one recipient. `court_code`/`unit_code` say whose alert it is (API scoping)."""

    kind: str
    entity: str
    entity_id: str
    recipient: str
    variant: str = ""
    court_code: str | None = None
    unit_code: str | None = None


def underived(
    session: Session, *, kind: str, entity: str, ids: Sequence[int], variant: str = ""
) -> list[int]:
    """The ids among `ids` for which no item of this kind was derived yet, in their order.

    Two index lookups whose cost follows the candidates, never a correlated anti-join: PostgreSQL
    plans one badly while the ledger's statistics lag behind a burst of new items.
    """
    done: set[str] = set()
    for start in range(0, len(ids), 1000):
        chunk = [str(i) for i in ids[start : start + 1000]]
        done.update(
            session.execute(
                select(AlertItem.entity_id).where(
                    AlertItem.kind == kind,
                    AlertItem.entity == entity,
                    AlertItem.variant == variant,
                    AlertItem.entity_id.in_(chunk),
                )
            ).scalars()
        )
    return [i for i in ids if str(i) not in done]


def record_owed(session: Session, owed: Iterable[Owed]) -> int:
    """Insert the owed items that are not there yet; returns how many were new. Flushes."""
    rows = [
        {
            "kind": o.kind,
            "entity": o.entity,
            "entity_id": str(o.entity_id),
            "variant": o.variant,
            "recipient": o.recipient.lower(),
            "court_code": o.court_code,
            "unit_code": o.unit_code,
            "created_at": now(),
        }
        for o in {o for o in owed if o.recipient}
    ]
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    new = 0
    for start in range(0, len(rows), 1000):
        statement = insert(AlertItem).values(rows[start : start + 1000]).on_conflict_do_nothing()
        new += len(session.execute(statement.returning(AlertItem.id)).all())
    return new


def _owed(kinds: Iterable[str], at: datetime) -> ColumnElement[bool]:
    return and_(
        AlertItem.alert_id.is_(None),
        AlertItem.kind.in_(list(kinds)),
        or_(AlertItem.claimed_until.is_(None), AlertItem.claimed_until < at),
    )


def recipients_owed(session: Session, kinds: Iterable[str]) -> list[str]:
    return list(
        session.execute(
            select(AlertItem.recipient).where(_owed(kinds, now())).distinct().order_by(AlertItem.recipient)
        )
        .scalars()
        .all()
    )


def claim(session: Session, *, kinds: Iterable[str], recipient: str, claimant: str) -> list[AlertItem]:
    """Claim every owed item of `kinds` for `recipient`; none when another process holds them."""
    at = now()
    ids = (
        session.execute(
            update(AlertItem)
            .where(_owed(kinds, at), AlertItem.recipient == recipient)
            .values(claimed_by=claimant, claimed_until=at + CLAIM_LEASE)
            .returning(AlertItem.id)
        )
        .scalars()
        .all()
    )
    if not ids:
        return []
    return list(
        session.execute(select(AlertItem).where(AlertItem.id.in_(ids)).order_by(AlertItem.id)).scalars()
    )


def settle(
    session: Session,
    *,
    items: list[AlertItem],
    claimant: str,
    job: str,
    subject: str,
    body_text: str,
    message_id: str | None,
    error: str | None = None,
) -> Alert | None:
    """Record the e-mail that carried `items` (status sent, or refused with `error`), if the claim still holds."""
    held = [i for i in items if i.claimed_by == claimant]
    if not held:
        return None
    courts = {i.court_code for i in held}
    units = {i.unit_code for i in held}
    alert = Alert(
        job=job,
        recipient=held[0].recipient,
        court_code=courts.pop() if len(courts) == 1 else None,
        unit_code=units.pop() if len(units) == 1 else None,
        subject=subject,
        status="refused" if error else "sent",
        error=error,
        message_id=message_id,
        body_text=body_text,
        sent_at=now(),
    )
    session.add(alert)
    session.flush()
    session.execute(
        update(AlertItem)
        .where(AlertItem.id.in_([i.id for i in held]), AlertItem.claimed_by == claimant)
        .values(alert_id=alert.id, claimed_by=None, claimed_until=None)
    )
    return alert


def release(session: Session, *, items: list[AlertItem], claimant: str) -> None:
    """Give back a claim whose e-mail did not go (the server is down): the next run tries again."""
    session.execute(
        update(AlertItem)
        .where(AlertItem.id.in_([i.id for i in items]), AlertItem.claimed_by == claimant)
        .values(claimed_by=None, claimed_until=None)
    )
