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
from hub.controls.states import IN_FORCE, TRANSITIONS, ControlEvent, change, register, transition
from hub.db import flush_unique
from hub.directory.service import verify_sender
from hub.errors import Conflict, Forbidden, Invalid, NotFound
from hub.models import AuditEvent, Control, FoundAsset, Item, Receipt, ReceiptFile, Task, Unit
from hub.requests.service import Submission
from hub.standard.codes import CONTROL_ACTIONS, Action, Outcome
from hub.standard.documents import AssistanceReceipt, ControlResult, Encumbrance
from hub.standard.rules import attached_problems, inspect, receipt_problems
from hub.standard.xml import Problem
from hub.tasks.service import CLOSED_STATES, request_status

# A receipt on a closed task may only report a later change of a control it created (STANDARD.md).
# What a further receipt may say of a control its task created: by outcome, the events it may cause (the
# control's status picks one, hub/controls/states.py). UNABLE ends a waiting control that lapsed, or a
# registration the unit reported and has since undone (a registry that withdrew its seal).
STATE_CHANGES = {
    Outcome.CONTROLLED: (ControlEvent.PROMOTED,),
    Outcome.RELEASED: (ControlEvent.RELEASED,),
    Outcome.UNABLE: (ControlEvent.LAPSED, ControlEvent.WITHDRAWN_BY_UNIT),
}
FURTHER = (
    "A further receipt may only report a change of a control it created (WAITLISTED to CONTROLLED, "
    "RELEASED, or UNABLE for a waiting control that lapsed or a registration withdrawn)."
)


@dataclass
class Applied:
    receipt: Receipt
    task: Task
    controls: list[Control]
    created: bool


def _at(pos, message: str) -> Problem:
    return Problem(pos.line, pos.path, message)


def _item_for(items: list[Item], result: ControlResult) -> Item | None:
    for item in items:
        if item.asset_id == result.asset_id and item.asset_class == str(result.asset_class):
            return item
    return None


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


def _plan_new_controls(
    document: AssistanceReceipt, action: Action, items: list[Item]
) -> tuple[list[tuple[ControlResult, Item]], list[Problem]]:
    """Pair each Control of the receipt with the request's item; those of a new control are the plan."""
    plan, problems = [], []
    for result in document.controls:
        item = _item_for(items, result)
        if item is None:
            problems.append(
                _at(result.pos, f"{result.asset_class} {result.asset_id} is not an item of the request")
            )
        else:
            plan.append((result, item))
    creates = document.outcome in (Outcome.CONTROLLED, Outcome.PARTIAL, Outcome.WAITLISTED) and (
        action in CONTROL_ACTIONS | {Action.RENEW}
    )
    return (plan if creates else []), problems


def _state_report(
    session: Session, document: AssistanceReceipt, task: Task
) -> tuple[list[tuple[Control, ControlEvent]], list[Problem]]:
    events = STATE_CHANGES.get(document.outcome)
    if not document.final or events is None or not document.controls:
        raise Conflict(
            f"Task {task.id} is already {task.status}. {FURTHER}",
            code="task_closed",
        )
    changes, problems = [], []
    for result in document.controls:
        control = session.execute(
            select(Control).where(
                Control.task_id == task.id, Control.registration_no == result.registration_no
            )
        ).scalar_one_or_none()
        if control is None:
            problems.append(
                _at(result.pos, f"task {task.id} has no control with RegistrationNo {result.registration_no}")
            )
        elif (event := next((e for e in events if transition(control.status, e)), None)) is None:
            ends = {step.to for (_, e), step in TRANSITIONS.items() if e in events}
            said = "it is so already" if control.status in ends else "it cannot change so"
            raise Conflict(
                f"Task {task.id} is already {task.status} and control {result.registration_no} is "
                f"{control.status}: {said}. {FURTHER}",
                code="task_closed",
            )
        else:
            changes.append((control, event))
    return changes, problems


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
    closed = task.status in CLOSED_STATES  # then the receipt can only report a change of a control
    problems += receipt_problems(document, action=None if closed else action)
    unit_owner = ("unit", task.unit_code)
    stored = owned(session, owner=unit_owner, digests=(a.sha256 for a in document.attachments))
    problems += attached_problems(document.attachments, submission.files, stored=stored)
    state_changes: list[tuple[Control, ControlEvent]] = []
    new_controls: list[tuple[ControlResult, Item]] = []
    if closed:
        state_changes, more = _state_report(session, document, task)
    else:
        new_controls, more = _plan_new_controls(document, action, list(request.items))
    problems += more
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

    actor = principal.actor
    touched = _apply_controls(session, document, task, receipt, action, new_controls, received, actor)
    for control, event in state_changes:
        # a renewal extends the same registration: it goes with it
        if event is ControlEvent.WITHDRAWN_BY_UNIT:
            touched += _withdraw_renewals(session, control, received, actor)
        result = next(r for r in document.controls if r.registration_no == control.registration_no)
        period = (result.period.start, result.period.end) if result.period is not None else None
        change(session, control, event, at=received, actor=actor, period=period, data=_by(receipt))
        touched.append(control)

    if task.status not in CLOSED_STATES:
        if document.final:
            task.status = "objected" if document.outcome is Outcome.OBJECTED else "completed"
            task.closed_at, task.outcome = received, str(document.outcome)
        else:
            task.status, task.acknowledged_at = "acknowledged", task.acknowledged_at or received
    session.flush()
    request.status = request_status(list(request.tasks))
    record(
        session,
        actor=principal.actor,
        kind="receipt.received",
        entity="task",
        entity_id=task.id,
        data={
            "receipt_no": receipt.receipt_no,
            "outcome": receipt.outcome,
            "final": receipt.final,
            "document_sha256": digest,
            "signed_by": signed_by,
            "task_status": task.status,
            "controls": {c.id: c.status for c in touched},
        },
    )
    session.flush()
    return Applied(receipt, task, touched, created=True)


def _by(receipt: Receipt) -> dict[str, object]:
    """What a control's audit event says of the receipt that changed it."""
    return {"task": receipt.task_id, "receipt_no": receipt.receipt_no}


def _withdraw_renewals(session: Session, control: Control, at, actor: str) -> list[Control]:
    withdrawn = []
    renewal = session.execute(select(Control).where(Control.renews_id == control.id)).scalars().first()
    while renewal is not None:
        if renewal.status in IN_FORCE:
            change(
                session,
                renewal,
                ControlEvent.WITHDRAWN_WITH_ORIGINAL,
                at=at,
                actor=actor,
                data={"original": control.id},
            )
            withdrawn.append(renewal)
        renewal = session.execute(select(Control).where(Control.renews_id == renewal.id)).scalars().first()
    return withdrawn


def _apply_controls(
    session: Session,
    document: AssistanceReceipt,
    task: Task,
    receipt: Receipt,
    action: Action,
    plan: list[tuple[ControlResult, Item]],
    at,
    actor: str,
) -> list[Control]:
    touched = []
    event = ControlEvent.WAITLISTED if document.outcome is Outcome.WAITLISTED else ControlEvent.REGISTERED
    for result, item in plan:
        renews = session.get(Control, item.original_control_id) if action is Action.RENEW else None
        period = result.period
        control = Control(
            court_code=task.request.court_code,
            unit_code=task.unit_code,
            request_id=task.request_id,
            task_id=task.id,
            receipt_id=receipt.id,
            kind=renews.kind if renews else str(action),
            asset_class=item.asset_class,
            asset_id=item.asset_id,
            registration_no=result.registration_no or (renews.registration_no if renews else None),
            requested_start=item.period_start,
            requested_end=item.period_end,
            period_start=period.start if period else item.period_start,
            period_end=period.end if period else item.period_end,
            amount=result.amount.amount if result.amount else item.amount,
            currency=result.amount.currency if result.amount else item.currency,
            queue_position=result.queue_position,
            flexible_custodian=item.flexible_custodian or (renews.flexible_custodian if renews else None),
            flexible_use=item.flexible_use or (renews.flexible_use if renews else None),
            renews_id=renews.id if renews else None,
        )
        register(session, control, event, at=at, actor=actor, data=_by(receipt))
        touched.append(control)
    if action is Action.RELEASE and document.outcome is Outcome.RELEASED:
        named = {(str(c.asset_class), c.asset_id) for c in document.controls}
        for item in task.request.items:
            if named and (item.asset_class, item.asset_id) not in named:
                continue  # the unit released only the items its receipt names
            original = session.get(Control, item.original_control_id) if item.original_control_id else None
            while original is not None and original.unit_code == task.unit_code:
                if original.status in IN_FORCE:
                    change(session, original, ControlEvent.RELEASED, at=at, actor=actor, data=_by(receipt))
                    touched.append(original)
                # a renewal extends the same control: release it too
                original = (
                    session.execute(select(Control).where(Control.renews_id == original.id)).scalars().first()
                )
    session.flush()
    return touched
