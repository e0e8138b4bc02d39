"""Serving tasks, their states, and who may see them."""

from datetime import date, datetime

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session, selectinload

from hub.audit import record
from hub.auth.service import Principal
from hub.calendar.workdays import WorkCalendar
from hub.errors import Conflict, Forbidden, NotFound
from hub.models import Control, Court, FoundAsset, Receipt, Request, Task, Unit

OPEN_STATES = ("created", "served", "acknowledged")
CLOSED_STATES = ("completed", "objected", "cancelled")


def serve_task(session: Session, *, task: Task, calendar: WorkCalendar, channel: str, at: datetime) -> None:
    """Mark `task` served through `channel` at `at`: its clock starts, the due instant follows the calendar.
    Its audit event is flushed by the caller (settle)."""
    due = calendar.due(at, task.limit_days)
    task.status, task.served_at, task.due_at, task.due_provisional = "served", at, due.at, due.provisional
    record(
        session,
        actor="hub",
        kind="task.served",
        entity="task",
        entity_id=task.id,
        data={
            "unit": task.unit_code,
            "channel": channel,
            "due_at": due.at.isoformat(),
            "provisional": due.provisional,
        },
        flush=False,
    )


def request_status(tasks: list[Task]) -> str:
    """open while any task is open; cancelled when every task was cancelled; done otherwise."""
    states = {task.status for task in tasks}
    if states & set(OPEN_STATES):
        return "open"
    if states == {"cancelled"}:
        return "cancelled"
    return "done"


def scope_requests(query: Select, principal: Principal) -> Select:
    """Limit a query over Request to what `principal` may see: a court's own, or all for an administrator."""
    if principal.role == "admin":
        return query
    if principal.is_court:
        return query.where(Request.court_code == principal.court_code)
    # unit staff work through their tasks: a request would show which other units were asked
    return query.where(False)


def visible_request(session: Session, *, principal: Principal, request_id: int) -> Request:
    request = session.execute(
        scope_requests(select(Request).where(Request.id == request_id), principal)
    ).scalar_one_or_none()
    if request is None:
        raise NotFound(f"There is no request {request_id} that you can see.")
    return request


def visible_task(session: Session, *, principal: Principal, task_id: int) -> Task:
    """A task its unit's staff, its court's officers and supervisors, or an administrator may see."""
    task = session.get(Task, task_id)
    allowed = task is not None and (
        principal.role == "admin"
        or (principal.is_unit and task.unit_code == principal.unit_code)
        or (principal.is_court and task.request.court_code == principal.court_code)
    )
    if not allowed:
        raise NotFound(f"There is no task {task_id} that you can see.")
    return task


def unit_tasks(
    session: Session, *, principal: Principal, unit_code: str, status: str | None, limit: int, offset: int
) -> tuple[list[Task], int]:
    """A unit's inbox, soonest due first. Only the unit's own staff (and administrators) may read it."""
    query = _unit_task_query(principal=principal, unit_code=unit_code, status=status)
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    tasks = session.execute(query.order_by(Task.due_at, Task.id).limit(limit).offset(offset)).scalars().all()
    return list(tasks), total


def _unit_task_query(*, principal: Principal, unit_code: str, status: str | None) -> Select[tuple[Task]]:
    """The unit's tasks, for its own staff and administrators only. status: "open", "closed", one task
    status, or None for all."""
    if principal.role != "admin" and not (principal.is_unit and principal.unit_code == unit_code):
        raise Forbidden(f"Only the staff of unit {unit_code} can read its tasks.")
    query = select(Task).where(Task.unit_code == unit_code)
    if status == "open":
        return query.where(Task.status.in_(OPEN_STATES))
    if status == "closed":
        return query.where(Task.status.in_(CLOSED_STATES))
    return query.where(Task.status == status) if status else query


def answer_objection(
    session: Session, *, principal: Principal, task_id: int, answer: str, at: datetime
) -> Task:
    """The court's answer to a unit's objection (异议), by an officer of the request's court. Flushes."""
    task = visible_task(session, principal=principal, task_id=task_id)
    if principal.role != "officer" or principal.court_code != task.request.court_code:
        raise Forbidden("Only an enforcement officer of the request's court can answer an objection.")
    if task.status != "objected":
        raise Conflict(
            f"Task {task.id} is {task.status}: there is no objection to answer.", code="no_objection"
        )
    if task.objection_answered_at is not None:
        raise Conflict(f"The objection on task {task.id} was answered already.", code="objection_answered")
    task.objection_answered_at, task.objection_answer = at, answer
    record(
        session,
        actor=principal.actor,
        kind="objection.answered",
        entity="task",
        entity_id=task.id,
        data={"unit": task.unit_code, "answer": answer},
    )
    session.flush()
    return task


# --- for the unit staff's pages (hub/web/unit.py) ----------------------------------------------


def unit_inbox(
    session: Session, *, principal: Principal, unit_code: str, status: str | None, limit: int, offset: int
) -> tuple[list[Task], int]:
    """A unit's inbox as its staff read it: open tasks first, then soonest due (tasks without a due
    time last), with their requests loaded. status: "open", "closed" or None for all."""
    query = _unit_task_query(principal=principal, unit_code=unit_code, status=status)
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    order = (case((Task.status.in_(OPEN_STATES), 0), else_=1), Task.due_at.is_(None), Task.due_at, Task.id)
    tasks = session.execute(
        query.options(selectinload(Task.request)).order_by(*order).limit(limit).offset(offset)
    ).scalars()
    return list(tasks), total


def court_names(session: Session, *, codes: set[str]) -> dict[str, str]:
    rows = session.execute(select(Court.code, Court.name).where(Court.code.in_(codes)))
    return {code: name for code, name in rows}


def unit_name(session: Session, *, unit_code: str) -> str:
    unit = session.get(Unit, unit_code)
    return unit.name if unit is not None else unit_code


def task_receipts(session: Session, *, task: Task) -> list[tuple[Receipt, list[FoundAsset]]]:
    """The receipts of a task, oldest first, each with the assets it reported."""
    receipts = session.execute(
        select(Receipt)
        .where(Receipt.task_id == task.id)
        .options(selectinload(Receipt.files))
        .order_by(Receipt.id)
    ).scalars()
    assets: dict[int, list[FoundAsset]] = {}
    for asset in session.execute(
        select(FoundAsset).where(FoundAsset.task_id == task.id).order_by(FoundAsset.id)
    ).scalars():
        assets.setdefault(asset.receipt_id, []).append(asset)
    return [(receipt, assets.get(receipt.id, [])) for receipt in receipts]


def task_controls(session: Session, *, task: Task) -> list[Control]:
    """The controls the task's receipts created, in order."""
    return list(
        session.execute(select(Control).where(Control.task_id == task.id).order_by(Control.id)).scalars()
    )


def _initials(unit_code: str) -> str:
    parts = [part for part in unit_code.split("-") if part]
    return (parts[0][:3] if len(parts) == 1 else "".join(p[0] for p in parts)).upper()[:8]


def next_receipt_no(session: Session, *, unit_code: str, day: date) -> str:
    """A ReceiptNo unit `unit_code` has not used yet, for a receipt written in the hub's forms:
    initials, date and a number of the day, e.g. RE-20261130-0003."""
    prefix = f"{_initials(unit_code)}-{day:%Y%m%d}-"
    used = set(
        session.execute(
            select(Receipt.receipt_no).where(
                Receipt.unit_code == unit_code, Receipt.receipt_no.startswith(prefix, autoescape=True)
            )
        ).scalars()
    )
    number = len(used) + 1
    while f"{prefix}{number:04d}" in used:
        number += 1
    return f"{prefix}{number:04d}"


def last_receipt_by(session: Session, *, user_id: int) -> Receipt | None:
    """The receipt `user_id` submitted last, if any (its handler prefills that user's next forms)."""
    query = select(Receipt).where(Receipt.submitted_by == user_id).order_by(Receipt.id.desc()).limit(1)
    return session.execute(query).scalar_one_or_none()


def mark_viewed(session: Session, *, principal: Principal, task: Task, at: datetime) -> None:
    """The first time the task's own unit opens it, it counts as viewed (已查看). Flushes."""
    if task.viewed_at is not None or not (principal.is_unit and principal.unit_code == task.unit_code):
        return
    task.viewed_at = at
    record(
        session,
        actor=principal.actor,
        kind="task.viewed",
        entity="task",
        entity_id=task.id,
        data={"unit": task.unit_code},
    )
    session.flush()
