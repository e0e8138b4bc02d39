"""Serving tasks, their states, and who may see them."""

from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from hub.audit import record
from hub.auth.service import Principal
from hub.calendar.workdays import WorkCalendar
from hub.errors import Conflict, Forbidden, NotFound
from hub.models import Request, Task

OPEN_STATES = ("created", "served", "acknowledged")
CLOSED_STATES = ("completed", "objected", "cancelled")


def serve_task(session: Session, *, task: Task, calendar: WorkCalendar, channel: str, at: datetime) -> None:
    """Mark `task` served through `channel` at `at`: its clock starts, the due instant follows the calendar."""
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
    if principal.role != "admin" and not (principal.is_unit and principal.unit_code == unit_code):
        raise Forbidden(f"Only the staff of unit {unit_code} can read its tasks.")
    query = select(Task).where(Task.unit_code == unit_code)
    if status == "open":
        query = query.where(Task.status.in_(OPEN_STATES))
    elif status == "closed":
        query = query.where(Task.status.in_(CLOSED_STATES))
    elif status:
        query = query.where(Task.status == status)
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    tasks = session.execute(query.order_by(Task.due_at, Task.id).limit(limit).offset(offset)).scalars().all()
    return list(tasks), total


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
