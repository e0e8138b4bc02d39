"""Applying a unit's receipt (回执) to its task, and to the controls it creates or changes."""

import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub.audit import record
from hub.auth.service import Principal
from hub.blobs import BlobStore, own, owned, sha256_hex
from hub.clock import now
from hub.config import Settings
from hub.controls.receipted import apply as apply_to_controls
from hub.controls.receipted import plan_changes, plan_new
from hub.db import flush_unique
from hub.directory.service import verify_sender
from hub.errors import Conflict, Forbidden, Invalid, NotFound
from hub.models import AuditEvent, Control, FoundAsset, Receipt, ReceiptFile, Task, Unit
from hub.requests.service import Submission
from hub.standard.codes import Action, Outcome
from hub.standard.documents import Encumbrance
from hub.standard.rules import attached_problems, inspect, receipt_problems
from hub.standard.xml import Problem
from hub.tasks.service import CLOSED_STATES, request_status


@dataclass
class Applied:
    receipt: Receipt
    task: Task
    controls: list[Control]
    created: bool


def _at(pos, message: str) -> Problem:
    return Problem(pos.line, pos.path, message)


def _controls_of(session: Session, receipt: Receipt) -> list[Control]:
    """The controls a receipt created or changed, as its audit event recorded them."""
    for event in session.execute(
        select(AuditEvent).where(
            AuditEvent.kind == "receipt.received",
            AuditEvent.entity == "task",
            AuditEvent.entity_id == str(receipt.task_id),
        )
    ).scalars():
        data = json.loads(event.data)
        if data.get("receipt_no") == receipt.receipt_no:
            ids = [int(i) for i in data.get("controls", {})]
            return list(
                session.execute(select(Control).where(Control.id.in_(ids)).order_by(Control.id)).scalars()
            )
    return []


def _stored(encumbrance: Encumbrance) -> dict[str, str]:
    """An encumbrance as found_assets.encumbrances keeps it: strings (ISO dates, the amount as written), no None."""
    amount, period = encumbrance.amount, encumbrance.period
    values = {
        "kind": str(encumbrance.kind),
        "holder": encumbrance.holder,
        "registration_no": encumbrance.registration_no,
        "reference": encumbrance.reference,
        "amount": str(amount.amount) if amount else None,
        "currency": amount.currency if amount else None,
        "start": period.start.isoformat() if period else None,
        "end": period.end.isoformat() if period else None,
        "description": encumbrance.description,
    }
    return {key: value for key, value in values.items() if value is not None}


def submit_receipt(
    session: Session,
    *,
    settings: Settings,
    blobs: BlobStore,
    principal: Principal,
    task_id: int,
    submission: Submission,
) -> Applied:
    """Accept a unit's receipt for one of its tasks. Flushes, never commits.

    Raises DocumentError/Invalid for a breach of the standard, NotFound for a task that is not the
    caller's unit's, Conflict for a ReceiptNo reused with other content or a closed task.
    """
    inspected = inspect(submission.document, expect="receipt", max_bytes=settings.max_document_bytes)
    document = inspected.receipt
    if not principal.is_unit:
        raise Forbidden("Only a member unit's staff or system can post receipts.")
    task = session.get(Task, task_id, with_for_update=True)  # one receipt at a time per task
    if task is None or task.unit_code != principal.unit_code:
        raise NotFound(f"There is no task {task_id} for unit {principal.unit_code}.")
    request = task.request
    digest = sha256_hex(submission.document)

    existing = session.execute(
        select(Receipt).where(Receipt.unit_code == task.unit_code, Receipt.receipt_no == document.receipt_no)
    ).scalar_one_or_none()
    if existing is not None:
        if existing.document_sha256 == digest and existing.task_id == task.id:
            return Applied(existing, task, _controls_of(session, existing), created=False)
        raise Conflict(
            f"ReceiptNo {document.receipt_no} was already used by unit {task.unit_code} for another document. "
            "Send the same document to repeat it, or use a new ReceiptNo.",
            code="receipt_no_conflict",
        )
    if task.status == "cancelled":
        raise Conflict(f"Task {task.id} was cancelled; it takes no receipts.", code="task_cancelled")
    if submission.written_by_hub:
        signed_by = None
    else:
        unit = session.get(Unit, task.unit_code)
        assert unit is not None
        signed_by = verify_sender(inspected.tree, sender=unit, at=now())

    problems = []
    if document.unit_code != task.unit_code:
        problems.append(
            _at(
                document.pos["UnitCode"],
                f"UnitCode is {document.unit_code}, but task {task.id} is for {task.unit_code}",
            )
        )
    if document.request_no != request.request_no:
        problems.append(
            _at(
                document.pos["RequestNo"],
                f"RequestNo is {document.request_no}, but task {task.id} is for {request.request_no}",
            )
        )
    action = Action(request.action)
    closed = task.status in CLOSED_STATES
    problems += receipt_problems(document, action=None if closed else action)
    unit_owner = ("unit", task.unit_code)
    stored = owned(session, owner=unit_owner, digests=(a.sha256 for a in document.attachments))
    problems += attached_problems(document.attachments, submission.files, stored=stored)
    years = settings.fund_account_period_years
    if closed:  # it can only report a change of a control the task created
        plan = plan_changes(session, document, task, fund_account_years=years)
    else:
        plan = plan_new(session, document, action, list(request.items), fund_account_years=years)
    problems += plan.problems
    if problems:
        raise Invalid(f"The receipt was refused: {problems[0].path}: {problems[0].message}", details=problems)

    received = now()
    blobs.put(session, submission.document)
    for ref in document.attachments:
        if ref.filename in submission.files:
            blobs.put(session, submission.files[ref.filename])
    own(session, owner=unit_owner, digests=[digest, *(ref.sha256 for ref in document.attachments)])
    receipt = Receipt(
        task_id=task.id,
        unit_code=task.unit_code,
        receipt_no=document.receipt_no,
        final=document.final,
        outcome=str(document.outcome),
        reason_code=str(document.reason_code) if document.reason_code else None,
        reason_text=document.reason_text,
        handler_name=document.handler_name,
        handled_at=document.handled_at,
        received_at=received,
        submitted_by=principal.user_id,
        document_sha256=digest,
        signed_by=signed_by,
    )
    try:
        flush_unique(session, receipt)  # the same ReceiptNo sent for another task at the same moment
    except IntegrityError:
        raise Conflict(
            f"ReceiptNo {document.receipt_no} was just used by unit {task.unit_code}.",
            code="receipt_no_conflict",
        ) from None
    session.add_all(
        ReceiptFile(receipt_id=receipt.id, type=ref.type, filename=ref.filename, sha256=ref.sha256)
        for ref in document.attachments
    )
    for asset in document.assets:
        session.add(
            FoundAsset(
                receipt_id=receipt.id,
                task_id=task.id,
                asset_class=str(asset.asset_class),
                asset_id=asset.asset_id,
                description=asset.description,
                value=asset.value.amount if asset.value else None,
                currency=asset.value.currency if asset.value else None,
                status=str(asset.status) if asset.status else None,
                owners=[{"name": o.name, "share": o.share} for o in asset.owners],
                encumbrances=[_stored(e) for e in asset.encumbrances],
            )
        )

    touched = apply_to_controls(
        session,
        document=document,
        task=task,
        receipt=receipt,
        action=action,
        plan=plan,
        at=received,
        actor=principal.actor,
    )

    if task.status not in CLOSED_STATES:
        if document.final:
            task.status = "objected" if document.outcome is Outcome.OBJECTED else "completed"
            task.closed_at, task.outcome = received, str(document.outcome)
        else:
            task.status, task.acknowledged_at = "acknowledged", task.acknowledged_at or received
    session.flush()
    request.status = request_status(list(request.tasks))
    record_receipt(session, receipt, task, actor=principal.actor, controls=touched)
    session.flush()
    return Applied(receipt, task, touched, created=True)


def record_receipt(
    session: Session, receipt: Receipt, task: Task, *, actor: str, controls: list[Control], **extra: object
) -> None:
    """The audit event `receipt.received` of `receipt` on `task`, with the controls it made or changed
    (what a repeat of it answers, _controls_of); `extra` what its origin adds."""
    record(
        session,
        actor=actor,
        kind="receipt.received",
        entity="task",
        entity_id=task.id,
        data={
            "receipt_no": receipt.receipt_no,
            "outcome": receipt.outcome,
            "final": receipt.final,
            "document_sha256": receipt.document_sha256,
            "signed_by": receipt.signed_by,
            "task_status": task.status,
            "controls": {c.id: c.status for c in controls},
            **extra,
        },
    )
