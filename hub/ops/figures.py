"""The domain figures /metrics shows, read from the database: whichever process is scraped, the same numbers.

Each figure is one GROUP BY. The task figures are range scans of ix_tasks_status_due (status, due_at);
the others count their whole table (requests, delivery attempts, alerts), which at a county's volume
(tens of thousands of rows a year) takes milliseconds, and /metrics reads them at most every few seconds.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.models import Alert, DeliveryAttempt, QueuedDelivery, Request, Task, Unit
from hub.tasks.service import OPEN_STATES


@dataclass(frozen=True)
class Figures:
    requests: list[tuple[str, str, int]]  # action, status, how many
    open_tasks: dict[str, int]  # unit -> open tasks; every active unit listed, 0 included
    overdue_tasks: dict[str, int]  # unit -> open tasks past their due instant; every active unit listed
    delivery_attempts: list[tuple[str, str, str, int]]  # unit, channel kind, outcome, how many
    failed_deliveries: list[tuple[str, str, int]]  # unit, channel kind, deliveries given up on that channel
    alerts: list[tuple[str, str, int]]  # job, status (sent, refused), e-mails


def read_figures(session: Session, *, at: datetime) -> Figures:
    """The figures as the database has them now; a task is overdue when open and due before `at`."""
    units = dict.fromkeys(session.execute(select(Unit.code).where(Unit.active)).scalars(), 0)
    open_tasks = {**units, **_tasks_per_unit(session, Task.status.in_(OPEN_STATES))}
    overdue = {**units, **_tasks_per_unit(session, Task.status.in_(OPEN_STATES), Task.due_at < at)}
    requests = session.execute(
        select(Request.action, Request.status, func.count()).group_by(Request.action, Request.status)
    )
    attempts = session.execute(
        select(QueuedDelivery.unit_code, QueuedDelivery.kind, DeliveryAttempt.outcome, func.count())
        .join(QueuedDelivery, QueuedDelivery.id == DeliveryAttempt.delivery_id)
        .group_by(QueuedDelivery.unit_code, QueuedDelivery.kind, DeliveryAttempt.outcome)
    )
    failed = session.execute(
        select(QueuedDelivery.unit_code, QueuedDelivery.kind, func.count())
        .where(QueuedDelivery.status == "failed")
        .group_by(QueuedDelivery.unit_code, QueuedDelivery.kind)
    )
    alerts = session.execute(select(Alert.job, Alert.status, func.count()).group_by(Alert.job, Alert.status))
    return Figures(
        requests=[(action, status, n) for action, status, n in requests],
        open_tasks=open_tasks,
        overdue_tasks=overdue,
        delivery_attempts=[(unit, kind, outcome, n) for unit, kind, outcome, n in attempts],
        failed_deliveries=[(unit, kind, n) for unit, kind, n in failed],
        alerts=[(job, status, n) for job, status, n in alerts],
    )


def _tasks_per_unit(session: Session, *conditions) -> dict[str, int]:
    query = select(Task.unit_code, func.count()).where(*conditions).group_by(Task.unit_code)
    return {unit: n for unit, n in session.execute(query)}
