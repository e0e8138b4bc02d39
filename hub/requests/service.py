"""Receiving a request: check it against the standard and the hub's state, store it, fan it out into tasks."""

import re
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import case, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub.audit import record
from hub.auth.service import Principal
from hub.blobs import BlobStore, own, owned, sha256_hex
from hub.calendar.service import load_calendar
from hub.clock import now, today_shanghai
from hub.config import Settings
from hub.controls.derived import chain_head
from hub.controls.renewal import renewal_refusal
from hub.controls.states import IN_FORCE, ControlStatus
from hub.db import flush_unique
from hub.delivery.service import enqueue
from hub.directory.service import unit_limit, verify_sender
from hub.errors import Conflict, Forbidden, Invalid, NotFound
from hub.models import (
    Control,
    Court,
    FoundAsset,
    Item,
    QueuedDelivery,
    Receipt,
    Request,
    RequestFile,
    Task,
    Unit,
    User,
)
from hub.standard.codes import Action
from hub.standard.documents import AssistanceRequest, RequestItem
from hub.standard.rules import attached_problems, inspect, period_problems
from hub.standard.xml import MAX_PROBLEMS, Problem, more_problems
from hub.tasks.service import OPEN_STATES, request_status, scope_requests, visible_request


@dataclass
class Submission:
    """A document as it arrived, with the files sent beside it (file name -> bytes)."""

    document: bytes
    files: dict[str, bytes] = field(default_factory=dict)
    # Written by the hub from a signed-in person's form: the sender's duty to sign does not apply to it.
    written_by_hub: bool = False


def _problem(pos, message: str) -> Problem:
    return Problem(pos.line, pos.path, message)


MAX_LISTED_TARGETS = 1000


def _resolve_targets(session: Session, request: AssistanceRequest) -> tuple[list[Unit], list[Problem]]:
    action, where = request.action, request.pos["Targets"]
    if request.all_capable:
        units = [
            unit
            for unit in session.execute(
                select(Unit).where(Unit.active.is_(True)).order_by(Unit.code)
            ).scalars()
            if str(action) in unit.actions
        ]
        if not units:
            return [], [_problem(where, f"no active unit performs {action}")]
        return units, []
    codes = set(request.targets)
    # a hostile request can name more codes than PostgreSQL takes bind parameters (65,535): then the
    # whole directory is read instead (dozens to a few thousand rows; each row costs JSON decoding)
    query = select(Unit).where(Unit.code.in_(codes)) if len(codes) <= MAX_LISTED_TARGETS else select(Unit)
    found = {u.code: u for u in session.execute(query).scalars()}
    problems, units = [], []
    for code in request.targets:
        unit = found.get(code)
        if unit is None:
            problems.append(_problem(where, f"unit {code} is not in the directory (see GET /api/v1/units)"))
        elif not unit.active:
            problems.append(_problem(where, f"unit {code} ({unit.name}) is no longer active"))
        elif str(action) not in unit.actions:
            problems.append(
                _problem(
                    where,
                    f"unit {code} ({unit.name}) does not perform {action}; it performs {', '.join(unit.actions)}",
                )
            )
        else:
            units.append(unit)
    return units, problems[:MAX_PROBLEMS] + more_problems(len(problems))


def _original_control(
    session: Session,
    *,
    court_code: str,
    action: Action,
    item: RequestItem,
    unit_codes: set[str],
    fund_account_years: int,
) -> tuple[Control | None, Problem | None]:
    """The control a RENEW, RELEASE, DEDUCT or TRANSFER item refers to, checked against its state. A DEDUCT
    that names none deducts from the court's freeze of the same asset at the unit when there is one; a
    TRANSFER names the current control of the chain it gives (its transfer ends them all, receipted.py)."""
    original = item.original
    if original is None:
        return (
            _freeze_of(session, court_code=court_code, item=item, unit_codes=unit_codes)
            if action is Action.DEDUCT
            else (None, None)
        )
    query = (
        select(Control)
        .join(Request, Request.id == Control.request_id)
        .where(
            Control.court_code == court_code,
            Request.request_no == original.request_no,
            Control.unit_code.in_(unit_codes),
            Control.asset_id == item.asset_id,
        )
    )
    if original.registration_no:
        query = query.where(Control.registration_no == original.registration_no)
    candidates = session.execute(query.with_for_update(of=Control)).scalars().all()
    label = f"request {original.request_no}" + (
        f", registration {original.registration_no}" if original.registration_no else ""
    )
    if not candidates:
        return None, _problem(original.pos, f"no control on {item.asset_id} from {label} is known to the hub")
    if len(candidates) > 1:
        return None, _problem(original.pos, f"{label} names several controls: give its registrationNo")
    control = candidates[0]
    what = f"the control {label}"
    if item.asset_class != control.asset_class:
        return None, _problem(
            item.pos,
            f"{what} is on {control.asset_class} {control.asset_id}: a {action} of it names that class, "
            f"not {item.asset_class}",
        )
    if action is Action.RELEASE:
        head = chain_head(session, control=control)
        if head.status not in IN_FORCE:
            return None, _problem(
                original.pos, f"{what} is {head.status}: only ACTIVE or WAITLISTED can be released"
            )
        return control, None
    if action is Action.DEDUCT:
        return _deductible(session, control, what=what, pos=original.pos)
    if action is Action.TRANSFER:
        head = chain_head(session, control=control)
        if head.status not in IN_FORCE:
            return None, _problem(
                original.pos,
                f"{what} is {head.status}: a TRANSFER names the court's control in force on the property "
                "(ACTIVE or WAITLISTED), or none",
            )
        return head, None
    why = renewal_refusal(session, control=control, on=today_shanghai(), what=what)
    if why is not None:
        return None, _problem(original.pos, why)
    expected_start = control.period_end + timedelta(days=1)
    if item.period is not None and item.period.start != expected_start:
        return None, _problem(
            item.period.pos,
            f"the renewed period starts the day after the old end ({control.period_end}): start must be {expected_start}",
        )
    if item.period is not None and (
        longer := period_problems(
            item.period,
            item.asset_class,
            fund_account_years=fund_account_years,
            kind=control.kind,
            renewal=True,
        )
    ):
        return None, longer[0]  # a pre-seal renews for a year at most (续封)
    return control, None


def _deductible(
    session: Session, control: Control, *, what: str, pos
) -> tuple[Control | None, Problem | None]:
    """The freeze a deduction takes from: the current control of `control`'s chain, an ACTIVE freeze."""
    head = chain_head(session, control=control)
    if head.kind != str(Action.FREEZE):
        return None, _problem(pos, f"{what} is a {head.kind}: a DEDUCT takes money from a FREEZE only")
    if head.status != ControlStatus.ACTIVE:
        return None, _problem(
            pos, f"{what} is {head.status}: a DEDUCT takes money from an ACTIVE freeze only"
        )
    return head, None


def _freeze_of(
    session: Session, *, court_code: str, item: RequestItem, unit_codes: set[str]
) -> tuple[Control | None, Problem | None]:
    """The court's ACTIVE freeze of the asset of a DEDUCT item that names none: None when there is none
    (a deduction without a freeze before it), refused when there are several to choose from."""
    freezes = (
        session.execute(
            select(Control)
            .where(
                Control.court_code == court_code,
                Control.unit_code.in_(unit_codes),
                Control.kind == str(Action.FREEZE),
                Control.status == ControlStatus.ACTIVE,
                Control.asset_class == str(item.asset_class),
                Control.asset_id == item.asset_id,
            )
            .order_by(Control.id)
            .with_for_update()
        )
        .scalars()
        .all()
    )
    if len(freezes) > 1:
        numbers = ", ".join(c.registration_no or f"control {c.id}" for c in freezes)
        return None, _problem(
            item.pos,
            f"the court has {len(freezes)} freezes of {item.asset_class} {item.asset_id} ({numbers}): "
            "name the one to deduct from with <Original requestNo=.. registrationNo=..>",
        )
    return (freezes[0] if freezes else None), None


def find_request(session: Session, *, court_code: str, request_no: str) -> Request | None:
    return session.execute(
        select(Request).where(Request.court_code == court_code, Request.request_no == request_no)
    ).scalar_one_or_none()


def submit_request(
    session: Session, *, settings: Settings, blobs: BlobStore, principal: Principal, submission: Submission
) -> tuple[Request, bool]:
    """Accept a request: returns it and whether it is new (False: the same RequestNo and content again).

    Raises DocumentError/Invalid for a breach of the standard, Forbidden for another court's request,
    Conflict for a RequestNo already used with other content. Flushes, never commits.
    """
    inspected = inspect(
        submission.document,
        expect="request",
        max_bytes=settings.max_document_bytes,
        fund_account_years=settings.fund_account_period_years,
    )
    document = inspected.request
    if not principal.is_court or principal.role != "officer":
        raise Forbidden("Only an enforcement officer of a court can submit requests.")
    if document.court_code != principal.court_code:
        raise Forbidden(
            f"The request is from court {document.court_code}; you can submit for your court {principal.court_code} only.",
        )

    digest = sha256_hex(submission.document)
    existing = find_request(session, court_code=document.court_code, request_no=document.request_no)
    if existing is not None:
        if existing.document_sha256 == digest:
            return existing, False
        raise Conflict(
            f"RequestNo {document.request_no} was already used for another document. "
            "Send the same document to repeat it, or use a new RequestNo.",
            code="request_no_conflict",
        )

    court = session.get(Court, document.court_code)
    assert court is not None  # the officer's own court
    signed_by = None if submission.written_by_hub else verify_sender(inspected.tree, sender=court, at=now())
    units, problems = _resolve_targets(session, document)
    court_owner = ("court", document.court_code)
    stored = owned(session, owner=court_owner, digests=(d.sha256 for d in document.documents))
    problems += attached_problems(document.documents, submission.files, stored=stored)
    originals: list[Control | None] = []
    for item in document.items:
        control, problem = _original_control(
            session,
            court_code=document.court_code,
            action=document.action,
            item=item,
            unit_codes={u.code for u in units},
            fund_account_years=settings.fund_account_period_years,
        )
        if problem:
            problems.append(problem)
        originals.append(control)
    if problems:
        raise Invalid(f"The request was refused: {problems[0].path}: {problems[0].message}", details=problems)

    received = now()
    blobs.put(session, submission.document)
    for ref in document.documents:
        if ref.filename in submission.files:
            blobs.put(session, submission.files[ref.filename])
    own(session, owner=court_owner, digests=[digest, *(ref.sha256 for ref in document.documents)])
    request = Request(
        court_code=document.court_code,
        request_no=document.request_no,
        action=str(document.action),
        status="open",
        case_no=document.case_no,
        issued_at=document.issued_at,
        received_at=received,
        officer_name=document.officer_name,
        officer_credential_no=document.officer_credential_no,
        subject_kind=str(document.subject.kind),
        subject_name=document.subject.name,
        subject_id_type=str(document.subject.id_type),
        subject_id_number=document.subject.id_number,
        all_capable=document.all_capable,
        submitted_by=principal.user_id,
        document_sha256=digest,
        signed_by=signed_by,
        # built with their request, so that the answer and the deliveries read them without a query
        files=[
            RequestFile(type=ref.type, filename=ref.filename, sha256=ref.sha256) for ref in document.documents
        ],
        items=[
            _item(position, item, control)
            for position, (item, control) in enumerate(zip(document.items, originals, strict=True), start=1)
        ],
        tasks=[],
    )
    tasks = [
        Task(
            request=request,
            unit_code=unit.code,
            status="created",
            limit_days=unit_limit(unit, document.action),
            created_at=received,
        )
        for unit in units
    ]
    try:
        flush_unique(session, request, *tasks)  # a concurrent twin may have taken the RequestNo meanwhile
    except IntegrityError:
        twin = find_request(session, court_code=document.court_code, request_no=document.request_no)
        if twin is not None and twin.document_sha256 == digest:
            return twin, False
        raise Conflict(
            f"RequestNo {document.request_no} was just used for another document.", code="request_no_conflict"
        ) from None
    record_received(
        session,
        request,
        actor=principal.actor,
        units=[u.code for u in units],
        flush=False,  # with the deliveries
    )
    calendar = load_calendar(session)
    for task, unit in zip(tasks, units, strict=True):
        enqueue(
            session,
            task=task,
            unit=unit,
            settings=settings,
            blobs=blobs,
            calendar=calendar,
            flush=False,
            document=submission.document,  # as stored: not read back for the inbox
        )
    session.flush()
    return request, True


def record_received(
    session: Session, request: Request, *, actor: str, units: list[str], flush: bool = True, **extra: object
) -> None:
    """The audit event `request.received` of `request` (its files and units; `extra` what its origin adds)."""
    record(
        session,
        actor=actor,
        kind="request.received",
        entity="request",
        entity_id=request.id,
        data={
            "court": request.court_code,
            "request_no": request.request_no,
            "action": request.action,
            "document_sha256": request.document_sha256,
            "signed_by": request.signed_by,
            "files": {f.filename: f.sha256 for f in request.files},
            "units": units,
            **extra,
        },
        flush=flush,
    )


def _item(position: int, item: RequestItem, control: Control | None) -> Item:
    return Item(
        position=position,
        asset_class=str(item.asset_class),
        asset_id=item.asset_id,
        description=item.description,
        amount=item.amount.amount if item.amount else None,
        currency=item.amount.currency if item.amount else None,
        period_start=item.period.start if item.period else None,
        period_end=item.period.end if item.period else None,
        flexible_custodian=item.flexible_custodian,
        flexible_use=item.flexible_use,
        original_request_no=item.original.request_no if item.original else None,
        original_registration_no=item.original.registration_no if item.original else None,
        original_control_id=control.id if control else None,
    )


def cancel_request(session: Session, *, principal: Principal, request: Request, reason: str) -> list[Task]:
    """Withdraw a request: its open tasks are cancelled (answered ones stay as they are). Flushes."""
    if principal.role != "officer" or principal.court_code != request.court_code:
        raise Forbidden("Only an enforcement officer of the request's court can cancel it.")
    at = now()
    cancelled = []
    for task in session.execute(
        select(Task).where(Task.request_id == request.id).with_for_update()
    ).scalars():
        if task.status in OPEN_STATES:
            task.status, task.closed_at = "cancelled", at
            cancelled.append(task)
    if not cancelled:
        raise Conflict(
            f"Request {request.request_no} has no open task left to cancel.", code="nothing_to_cancel"
        )
    session.execute(  # a delivery still waiting is not made; one running finds the task cancelled
        update(QueuedDelivery)
        .where(QueuedDelivery.task_id.in_([t.id for t in cancelled]), QueuedDelivery.status == "waiting")
        .values(
            status="cancelled", finished_at=at, next_at=None, last_error="not needed: the task is cancelled"
        )
    )
    session.flush()
    request.status = request_status(list(request.tasks))
    record(
        session,
        actor=principal.actor,
        kind="request.cancelled",
        entity="request",
        entity_id=request.id,
        data={"reason": reason, "tasks": [t.id for t in cancelled]},
    )
    return cancelled


# --- for the officer's pages: numbering, the units to choose from, lists and details ----------------

REQUEST_NO_SHAPE = re.compile(r"([A-Za-z0-9]+)-(\d{4})-(\d{6})")
ANSWERED_STATES = ("completed", "objected")


def next_request_no(session: Session, *, court_code: str, year: int) -> str:
    """The court's next free RequestNo of `year`, shaped as the examples are: PREFIX-2026-000124.

    PREFIX is the one of the court's latest RequestNo of that shape (AT for 安图), else the court
    code; the number follows the highest of that prefix and year. Two officers asking at the same
    moment get the same number: the second submission is then refused as a RequestNo conflict.
    """
    recent = session.execute(
        select(Request.request_no)
        .where(Request.court_code == court_code, Request.request_no.like("%-____-______"))
        .order_by(Request.id.desc())
        .limit(50)
    ).scalars()
    prefix = next((m.group(1) for no in recent if (m := REQUEST_NO_SHAPE.fullmatch(no))), court_code)
    numbers = session.execute(
        select(Request.request_no).where(
            Request.court_code == court_code, Request.request_no.like(f"{prefix}-{year}-______")
        )
    ).scalars()
    used = [int(m.group(3)) for no in numbers if (m := REQUEST_NO_SHAPE.fullmatch(no))]
    return f"{prefix}-{year}-{max(used, default=0) + 1:06d}"


def active_units(session: Session) -> list[Unit]:
    """The member units a request can go to, by code; each lists the actions it performs."""
    return list(session.execute(select(Unit).where(Unit.active.is_(True)).order_by(Unit.code)).scalars())


@dataclass(frozen=True)
class OfficerIdentity:
    """What a request says of its sender, from the signed-in officer's account and court."""

    court_code: str
    court_name: str
    name: str
    credential_no: str | None


def officer_identity(session: Session, *, principal: Principal) -> OfficerIdentity:
    if principal.role != "officer" or principal.court_code is None:
        raise Forbidden("Only an enforcement officer of a court can submit requests.")
    user = session.get_one(User, principal.user_id)
    court = session.get_one(Court, principal.court_code)
    return OfficerIdentity(court.code, court.name, user.display_name, user.credential_no)


def keep_files(
    session: Session, *, blobs: BlobStore, court_code: str, files: dict[str, bytes]
) -> dict[str, str]:
    """Store files sent with a refused form (file name -> sha256), so that the corrected form can list
    them without sending them again: submit_request accepts a listed file its court has sent before."""
    kept = {name: blobs.put(session, data) for name, data in files.items()}
    own(session, owner=("court", court_code), digests=kept.values())
    return kept


@dataclass(frozen=True)
class RequestRow:
    request: Request
    units: int
    answered: int  # tasks answered finally (completed or objected)
    overdue: int  # open tasks past their due instant


def search_requests(
    session: Session,
    *,
    principal: Principal,
    status: str | None = None,
    action: str | None = None,
    case_no: str | None = None,
    debtor: str | None = None,
    limit: int = 20,
    offset: int = 0,
) -> tuple[list[RequestRow], int]:
    """The requests `principal` may see (as GET /api/v1/requests), newest first, with their task counts.

    `case_no` and `debtor` match a part of the case number, of the debtor's name or of the ID number.
    """
    query = scope_requests(select(Request), principal)
    if status:
        query = query.where(Request.status == status)
    if action:
        query = query.where(Request.action == action)
    if case_no:
        query = query.where(Request.case_no.contains(case_no, autoescape=True))
    if debtor:
        query = query.where(
            Request.subject_name.contains(debtor, autoescape=True)
            | Request.subject_id_number.contains(debtor.upper(), autoescape=True)
        )
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    requests = session.execute(query.order_by(Request.id.desc()).limit(limit).offset(offset)).scalars().all()
    at = now()
    counts = {
        row.request_id: row
        for row in session.execute(
            select(
                Task.request_id,
                func.count().label("units"),
                func.sum(case((Task.status.in_(ANSWERED_STATES), 1), else_=0)).label("answered"),
                func.sum(case((Task.status.in_(OPEN_STATES) & (Task.due_at < at), 1), else_=0)).label(
                    "overdue"
                ),
            )
            .where(Task.request_id.in_([r.id for r in requests]))
            .group_by(Task.request_id)
        )
    }
    rows = []
    for request in requests:
        count = counts.get(request.id)
        rows.append(
            RequestRow(
                request,
                count.units if count else 0,
                int(count.answered or 0) if count else 0,
                int(count.overdue or 0) if count else 0,
            )
        )
    return rows, total


@dataclass(frozen=True)
class UnitAnswer:
    """One unit's side of a request: its task, what it answered and how the task reached it."""

    task: Task
    unit_name: str
    overdue: bool
    receipts: list[Receipt]
    assets: dict[int, list[FoundAsset]]  # receipt id -> what that receipt reported found
    deliveries: list[QueuedDelivery]
    controls: list[Control]  # the controls the unit's receipts created, as they stand now


def request_answers(
    session: Session, *, principal: Principal, request_id: int
) -> tuple[Request, list[UnitAnswer]]:
    """A request `principal` may see, and one UnitAnswer per task in task order."""
    request = visible_request(session, principal=principal, request_id=request_id)
    task_ids = [t.id for t in request.tasks]
    codes = [t.unit_code for t in request.tasks]
    names = {
        code: name for code, name in session.execute(select(Unit.code, Unit.name).where(Unit.code.in_(codes)))
    }
    receipts: dict[int, list[Receipt]] = {}
    for receipt in session.execute(
        select(Receipt).where(Receipt.task_id.in_(task_ids)).order_by(Receipt.id)
    ).scalars():
        receipts.setdefault(receipt.task_id, []).append(receipt)
    assets: dict[int, list[FoundAsset]] = {}
    for asset in session.execute(
        select(FoundAsset).where(FoundAsset.task_id.in_(task_ids)).order_by(FoundAsset.id)
    ).scalars():
        assets.setdefault(asset.receipt_id, []).append(asset)
    deliveries: dict[int, list[QueuedDelivery]] = {}
    for delivery in session.execute(
        select(QueuedDelivery).where(QueuedDelivery.task_id.in_(task_ids)).order_by(QueuedDelivery.id)
    ).scalars():
        deliveries.setdefault(delivery.task_id, []).append(delivery)
    controls: dict[int, list[Control]] = {}
    for control in session.execute(
        select(Control).where(Control.task_id.in_(task_ids)).order_by(Control.id)
    ).scalars():
        controls.setdefault(control.task_id, []).append(control)
    at = now()
    return request, [
        UnitAnswer(
            task=task,
            unit_name=names.get(task.unit_code, task.unit_code),
            overdue=task.status in OPEN_STATES and task.due_at is not None and task.due_at < at,
            receipts=receipts.get(task.id, []),
            assets={r.id: assets.get(r.id, []) for r in receipts.get(task.id, [])},
            deliveries=deliveries.get(task.id, []),
            controls=controls.get(task.id, []),
        )
        for task in request.tasks
    ]


def request_receipt(session: Session, *, principal: Principal, request_id: int, receipt_id: int) -> Receipt:
    """A receipt for one of the tasks of a request `principal` may see."""
    request = visible_request(session, principal=principal, request_id=request_id)
    receipt = session.get(Receipt, receipt_id)
    if receipt is None or receipt.task_id not in {t.id for t in request.tasks}:
        raise NotFound(f"Request {request.request_no} has no receipt {receipt_id}.")
    return receipt
