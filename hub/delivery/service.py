"""The delivery queue: serve each task through its unit's channels, retry, fall back, never lose one.

A task gets a delivery row on its unit's channel when the request arrives. An immediate channel (the
inbox) serves it in that same transaction. Any other is served by a worker (hub/delivery/worker.py):
it claims due rows, calls the adapter outside any transaction, and settles the outcome here:

- served: the task's clock starts at the instant the adapter reports;
- retry later: the row waits for an exponential backoff with jitter (HUB_DELIVERY_RETRY_BASE_S
  doubling per attempt), until HUB_DELIVERY_MAX_ATTEMPTS attempts were made on the channel;
- refused, misconfigured, or attempts exhausted: the row fails and the next channel of the unit's
  fallback list gets a row of its own; after the last one, the task waits for an administrator.

Every attempt is a DeliveryAttempt row with its error. Serving again is harmless to a unit: the same
task id and RequestNo are sent.
"""

import random
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from adapters.base import (
    Adapter,
    AdapterContext,
    Delivery,
    Misconfigured,
    Outcome,
    Refused,
    RetryLater,
    Served,
)
from adapters.registry import adapter_class
from hub.audit import record
from hub.auth.service import Principal
from hub.blobs import BlobStore
from hub.calendar.workdays import WorkCalendar
from hub.clock import now
from hub.config import Settings
from hub.delivery.schemas import http_status, plain_error
from hub.errors import Conflict, Forbidden, NotFound
from hub.keys import Identity
from hub.models import DeliveryAttempt, QueuedDelivery, Task, Unit
from hub.standard.signatures import sign_document
from hub.tasks.service import OPEN_STATES, serve_task, visible_task

LEASE = timedelta(minutes=10)  # longer than any adapter's timeout; a dead worker's rows return after it
MAX_DELAY_S = 6 * 3600


class _Files(Mapping[str, bytes]):
    """A request's files, read from the blob store only when an adapter asks for one."""

    def __init__(self, blobs: BlobStore, digests: dict[str, str]) -> None:
        self._blobs, self._digests = blobs, digests

    def __getitem__(self, name: str) -> bytes:
        return self._blobs.read(self._digests[name])

    def __iter__(self) -> Iterator[str]:
        return iter(self._digests)

    def __len__(self) -> int:
        return len(self._digests)


def channels_of(unit: Unit) -> list[dict[str, Any]]:
    """The unit's channel, then its fallback channels, as stored from the directory."""
    return [unit.channel, *unit.fallback]


def delivery_for(
    task: Task, *, unit: Unit, blobs: BlobStore, signer: Identity | None = None, document: bytes | None = None
) -> Delivery:
    """What the adapter gets: the request as received, signed by the hub when it has an identity and the court
    did not sign (a unit can then check that the task came from the hub). `document`: the request's bytes
    as received, when the caller has them at hand, instead of reading them back from the store."""
    request = task.request
    if document is None:
        document = blobs.read(request.document_sha256)
    if signer is not None and request.signed_by is None:
        document = sign_document(document, key=signer.key, cert_pem=signer.cert_pem)
    return Delivery(
        task_id=task.id,
        unit_code=unit.code,
        unit_name=unit.name,
        court_code=request.court_code,
        court_name=request.court.name,
        request_no=request.request_no,
        action=request.action,
        document=document,
        files=_Files(blobs, {f.filename: f.sha256 for f in request.files}),  # type: ignore[arg-type]
    )


def make_adapter(channel: dict[str, Any], *, settings: Settings) -> Adapter:
    """The adapter for a stored channel table; Misconfigured when the table no longer fits its model."""
    cls = adapter_class(channel["kind"])
    try:
        config = cls.config_model.model_validate(channel)
    except ValueError as exc:
        raise Misconfigured(f"the {channel['kind']} channel is invalid: {exc}") from exc
    return cls(config, AdapterContext(settings))


def position_for(unit: Unit, delivery: QueuedDelivery) -> int | None:
    """Where a delivery's channel is among the unit's channels as the directory says now (an administrator
    may have fixed or reordered them); None when the unit has no channel of its kind any more."""
    channels = channels_of(unit)
    if delivery.position < len(channels) and channels[delivery.position]["kind"] == delivery.kind:
        return delivery.position
    return next((i for i, c in enumerate(channels) if c["kind"] == delivery.kind), None)


def channel_for(unit: Unit, delivery: QueuedDelivery) -> dict[str, Any] | None:
    position = position_for(unit, delivery)
    return None if position is None else channels_of(unit)[position]


def enqueue(
    session: Session,
    *,
    task: Task,
    unit: Unit,
    settings: Settings,
    blobs: BlobStore,
    calendar: WorkCalendar,
    position: int = 0,
    requested_by: str = "hub",
    flush: bool = True,
    document: bytes | None = None,
) -> QueuedDelivery:
    """Queue `task` on the unit's channel number `position`; an immediate channel serves it at once.

    flush=False: the caller flushes once for all it queues (a request to 28 inbox units: one flush, not
    three per task, which halves the time of the fan-out). `document`: the request's bytes as received,
    when the caller has them (delivery_for)."""
    channel = channels_of(unit)[position]
    at = now()
    delivery = QueuedDelivery(
        task_id=task.id,
        unit_code=unit.code,
        position=position,
        kind=channel["kind"],
        status="waiting",
        attempts=0,
        next_at=at,
        requested_by=requested_by,
        created_at=at,
    )
    session.add(delivery)
    immediate = adapter_class(delivery.kind).immediate
    if not immediate or flush:
        session.flush()
    if immediate:
        delivery.status, delivery.claimed_by = "running", "hub"
        content = delivery_for(task, unit=unit, blobs=blobs, document=document)
        outcome = serve_through(channel, content, settings=settings)
        settle(
            session,
            delivery=delivery,
            task=task,
            unit=unit,
            outcome=outcome,
            worker="hub",
            started=at,
            settings=settings,
            blobs=blobs,
            calendar=calendar,
            flush=flush,
        )
    return delivery


def serve_through(channel: dict[str, Any], delivery: Delivery, *, settings: Settings) -> Outcome:
    """One attempt through `channel`; a misconfigured channel is refused (no retry can help)."""
    try:
        return make_adapter(channel, settings=settings).serve(delivery)
    except Misconfigured as exc:
        return Refused(error=f"misconfigured: {exc}")


def claim_due(session: Session, *, worker: str, at: datetime, limit: int) -> list[int]:
    """Claim up to `limit` deliveries due at `at` for `worker`: waiting ones, and running ones whose lease ran out.

    SKIP LOCKED lets workers on PostgreSQL take different rows; SQLite's BEGIN IMMEDIATE serialises them.
    """
    due = or_(
        and_(QueuedDelivery.status == "waiting", QueuedDelivery.next_at <= at),
        and_(QueuedDelivery.status == "running", QueuedDelivery.lease_until < at),
    )
    ids = (
        session.execute(
            select(QueuedDelivery.id)
            .where(due)
            .order_by(QueuedDelivery.next_at, QueuedDelivery.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        .scalars()
        .all()
    )
    if not ids:
        return []
    claimed = session.execute(
        update(QueuedDelivery)
        .where(QueuedDelivery.id.in_(ids), due)
        .values(status="running", claimed_by=worker, lease_until=at + LEASE)
        .returning(QueuedDelivery.id)
    )
    return sorted(claimed.scalars())


def backoff_s(attempt: int, *, base_s: float, hint_s: float = 0) -> float:
    """Seconds before the next attempt after `attempt` failed ones: base * 2^(attempt-1), ±25 % jitter."""
    delay = base_s * 2 ** (attempt - 1) * random.uniform(0.75, 1.25)
    return min(max(delay, hint_s), MAX_DELAY_S)


def settle(
    session: Session,
    *,
    delivery: QueuedDelivery,
    task: Task,
    unit: Unit,
    outcome: Outcome,
    worker: str,
    started: datetime,
    settings: Settings,
    blobs: BlobStore,
    calendar: WorkCalendar,
    flush: bool = True,
) -> DeliveryAttempt:
    """Record one attempt of a running delivery claimed by `worker` and act on its outcome. Flushes, unless
    flush=False says the caller will."""
    finished = now()
    delivery.attempts += 1
    error = None if isinstance(outcome, Served) else outcome.error
    attempt = DeliveryAttempt(
        number=delivery.attempts,
        worker=worker,
        started_at=started,
        finished_at=finished,
        outcome=_outcome_name(outcome),
        error=error,
        note=outcome.note if isinstance(outcome, Served) else None,
    )
    if delivery.id is None:  # queued in this flush-less batch: linked through the relationship
        delivery.attempt_log.append(attempt)
    else:
        attempt.delivery_id = delivery.id
    session.add(attempt)
    delivery.claimed_by, delivery.lease_until, delivery.last_error = None, None, error
    if isinstance(outcome, Served):
        delivery.status, delivery.served_at, delivery.finished_at, delivery.next_at = (
            "served",
            outcome.at,
            finished,
            None,
        )
        if delivery.kind == "inbox":
            delivery.notice_due_at = finished
        if task.status == "created":
            serve_task(session, task=task, calendar=calendar, channel=delivery.kind, at=outcome.at)
        elif task.status in OPEN_STATES:
            record(
                session,
                actor=worker,
                kind="task.served_again",
                entity="task",
                entity_id=task.id,
                data={"unit": unit.code, "channel": delivery.kind, "delivery": delivery.id},
            )
    elif isinstance(outcome, RetryLater) and delivery.attempts < settings.delivery_max_attempts:
        delay = backoff_s(delivery.attempts, base_s=settings.delivery_retry_base_s, hint_s=outcome.delay_s)
        delivery.status, delivery.next_at = "waiting", finished + timedelta(seconds=delay)
    else:
        _fail(
            session,
            delivery=delivery,
            task=task,
            unit=unit,
            settings=settings,
            blobs=blobs,
            calendar=calendar,
            at=finished,
        )
    if flush:
        session.flush()
    return attempt


def _outcome_name(outcome: Outcome) -> str:
    if isinstance(outcome, Served):
        return "served"
    if isinstance(outcome, RetryLater):
        return "retry"
    return "misconfigured" if outcome.error.startswith("misconfigured:") else "refused"


def _fail(
    session: Session,
    *,
    delivery: QueuedDelivery,
    task: Task,
    unit: Unit,
    settings: Settings,
    blobs: BlobStore,
    calendar: WorkCalendar,
    at: datetime,
) -> None:
    """The channel gave up: go on to the next fallback channel, or leave the task to an administrator."""
    delivery.status, delivery.finished_at, delivery.next_at = "failed", at, None
    following = delivery.position + 1
    if following < len(channels_of(unit)):
        enqueue(
            session,
            task=task,
            unit=unit,
            settings=settings,
            blobs=blobs,
            calendar=calendar,
            position=following,
            requested_by=delivery.requested_by,
        )
        return
    record(
        session,
        actor="hub",
        kind="delivery.exhausted",
        entity="task",
        entity_id=task.id,
        # the audit chain goes into a case's evidence: why in plain words, not what the unit or a path said
        data={
            "unit": unit.code,
            "delivery": delivery.id,
            "error": plain_error("exhausted", http_status(delivery.last_error)),
        },
    )


def cancel_if_moot(delivery: QueuedDelivery, task: Task, *, at: datetime) -> bool:
    """Cancel a delivery the unit no longer needs: the task was cancelled, or the unit already answered it.

    A delivery an administrator asked for is still made for any open task.
    """
    if task.status in OPEN_STATES and (task.status == "created" or delivery.requested_by != "hub"):
        return False
    delivery.status, delivery.finished_at, delivery.next_at = "cancelled", at, None
    delivery.claimed_by = delivery.lease_until = None
    delivery.last_error = f"not needed: the task is {task.status}"
    return True


def serve_again(
    session: Session,
    *,
    delivery: QueuedDelivery,
    actor: str,
    settings: Settings,
    blobs: BlobStore,
    calendar: WorkCalendar,
) -> QueuedDelivery:
    """Queue `delivery`'s task once more on the same channel, for an administrator. Flushes."""
    task = session.get(Task, delivery.task_id, with_for_update=True)
    assert task is not None
    if task.status not in OPEN_STATES:
        raise Conflict(f"Task {task.id} is {task.status}: there is nothing to serve.", code="task_closed")
    pending = session.execute(
        select(QueuedDelivery.id).where(
            QueuedDelivery.task_id == task.id, QueuedDelivery.status.in_(("waiting", "running"))
        )
    ).first()
    if pending is not None:
        raise Conflict(
            f"Task {task.id} already has delivery {pending[0]} waiting or running.", code="delivery_pending"
        )
    unit = session.get(Unit, task.unit_code)
    assert unit is not None
    position = position_for(unit, delivery)
    if position is None:
        raise Conflict(
            f"Unit {unit.code} has no {delivery.kind} channel any more: serve one of its deliveries on "
            "a channel it has.",
            code="channel_gone",
        )
    again = enqueue(
        session,
        task=task,
        unit=unit,
        settings=settings,
        blobs=blobs,
        calendar=calendar,
        position=position,
        requested_by=actor,
    )
    record(
        session,
        actor=actor,
        kind="delivery.requested",
        entity="task",
        entity_id=task.id,
        data={"unit": unit.code, "channel": again.kind, "delivery": again.id, "again_of": delivery.id},
    )
    return again


def list_deliveries(
    session: Session,
    *,
    principal: Principal,
    status: str | None,
    unit_code: str | None,
    limit: int,
    offset: int,
) -> tuple[list[QueuedDelivery], int]:
    """The delivery queue for administrators: most urgent first (waiting by next attempt, then newest)."""
    if principal.role != "admin":
        raise Forbidden("Only administrators can read the delivery queue.")
    query = select(QueuedDelivery)
    if status:
        query = query.where(QueuedDelivery.status == status)
    if unit_code:
        query = query.where(QueuedDelivery.unit_code == unit_code)
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = session.execute(
        query.order_by(QueuedDelivery.next_at.is_(None), QueuedDelivery.next_at, QueuedDelivery.id.desc())
        .limit(limit)
        .offset(offset)
    ).scalars()
    return list(rows), total


def visible_delivery(session: Session, *, principal: Principal, delivery_id: int) -> QueuedDelivery:
    """A delivery whose task `principal` may see."""
    delivery = session.get(QueuedDelivery, delivery_id)
    if delivery is None:
        raise NotFound(f"There is no delivery {delivery_id}.")
    visible_task(session, principal=principal, task_id=delivery.task_id)
    return delivery


def task_deliveries(session: Session, *, principal: Principal, task_id: int) -> list[QueuedDelivery]:
    task = visible_task(session, principal=principal, task_id=task_id)
    return list(
        session.execute(
            select(QueuedDelivery).where(QueuedDelivery.task_id == task.id).order_by(QueuedDelivery.id)
        ).scalars()
    )
