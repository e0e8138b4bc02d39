"""The alert jobs: each derives what is owed, and to whom, from the rows as of an instant.

A job only reads rows that are due (bounded queries on indexed columns, minus what was derived before),
so a tick costs about what the due rows cost, not what the tables hold. `hub jobs run NAME --at INSTANT`
runs one as of any instant; the worker runs them all every minute.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql import ColumnElement

from hub.alerts.ledger import Owed, underived
from hub.calendar.workdays import WorkCalendar
from hub.clock import SHANGHAI
from hub.config import Settings
from hub.controls.states import IN_FORCE, Cause, ControlEvent, ControlStatus, change
from hub.models import AlertItem, AuditEvent, Control, Court, QueuedDelivery, Request, Task, Unit, User
from hub.supervision.service import period, unit_figures

SERVED = ("served", "acknowledged")  # open tasks whose clock runs


@dataclass(frozen=True)
class Context:
    at: datetime
    settings: Settings
    calendar: WorkCalendar

    @property
    def today(self) -> date:
        return self.at.astimezone(SHANGHAI).date()


@dataclass(frozen=True)
class Job:
    name: str
    description: str
    kinds: tuple[str, ...]
    derive: Callable[[Session, Context], list[Owed]]


def _officers(session: Session, request_ids: set[int]) -> dict[int, str | None]:
    rows = session.execute(
        select(Request.id, User.email)
        .join(User, User.id == Request.submitted_by)
        .where(Request.id.in_(request_ids))
    )
    return dict(rows.all())


def _courts(session: Session) -> dict[str, str]:
    return dict(session.execute(select(Court.code, Court.supervisor_email)).all())


def _fresh_tasks(session: Session, kind: str, *conditions) -> list[tuple[Task, Request, Unit]]:
    """The tasks meeting `conditions` that no `kind` item was derived for yet, with request and unit,
    due first. The candidates are read as ids; only the fresh ones are loaded whole."""
    ids = session.execute(select(Task.id).where(*conditions)).scalars().all()
    fresh = underived(session, kind=kind, entity="task", ids=ids)
    rows: list[tuple[Task, Request, Unit]] = []
    for start in range(0, len(fresh), 1000):
        rows += [
            (task, request, unit)
            for task, request, unit in session.execute(
                select(Task, Request, Unit)
                .join(Request, Request.id == Task.request_id)
                .join(Unit, Unit.code == Task.unit_code)
                .where(Task.id.in_(fresh[start : start + 1000]))
            )
        ]
    return sorted(
        rows, key=lambda row: (row[0].due_at.timestamp() if row[0].due_at else float("inf"), row[0].id)
    )


def _to_unit_staff(kind: str, task: Task, unit: Unit) -> list[Owed]:
    return [
        Owed(kind, "task", str(task.id), address, unit_code=unit.code) for address in unit.contacts["staff"]
    ]


def _to_court(kind: str, entity: str, entity_id: int, court_code: str, *addresses: str | None) -> list[Owed]:
    return [Owed(kind, entity, str(entity_id), a, court_code=court_code) for a in addresses if a]


def working_day_before(calendar: WorkCalendar, day: date, n: int) -> date:
    """The n-th working day before `day` (n >= 1)."""
    while n:
        day -= timedelta(days=1)
        n -= calendar.is_working_day(day)
    return day


def due_soon(session: Session, ctx: Context) -> list[Owed]:
    """Units are reminded from the start of the working day `due_soon_days` before the due day.

    A task served after that moment is not reminded: the notice that it arrived already says when it is due.
    """
    lead = ctx.settings.due_soon_days
    last_day = ctx.calendar.add_working_days(ctx.today, lead)[0]  # the latest due day reminded today
    until = datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=SHANGHAI)
    owed = []
    for task, _request, unit in _fresh_tasks(
        session, "due_soon", Task.status.in_(SERVED), Task.due_at > ctx.at, Task.due_at < until
    ):
        first = working_day_before(ctx.calendar, task.due_at.astimezone(SHANGHAI).date(), lead)
        start = datetime.combine(first, time(0), tzinfo=SHANGHAI)
        if start <= ctx.at and task.served_at < start:
            owed += _to_unit_staff("due_soon", task, unit)
    return owed


def overdue(session: Session, ctx: Context) -> list[Owed]:
    """The moment a task's due instant passes without a final receipt: its unit's staff and the officer."""
    rows = _fresh_tasks(session, "overdue", Task.status.in_(SERVED), Task.due_at < ctx.at)
    officers = _officers(session, {request.id for _, request, _ in rows})
    owed = []
    for task, request, unit in rows:
        owed += _to_unit_staff("overdue", task, unit)
        owed += _to_court("overdue", "task", task.id, request.court_code, officers[request.id])
    return owed


def escalation(session: Session, ctx: Context) -> list[Owed]:
    """督办: overdue `escalation_days` working days: the unit's supervisor and the court's supervisor."""
    rows = _fresh_tasks(session, "escalation", Task.status.in_(SERVED), Task.due_at < ctx.at)
    courts = _courts(session)
    owed = []
    for task, request, unit in rows:
        if ctx.calendar.due(task.due_at, ctx.settings.escalation_days).at > ctx.at:
            continue
        owed.append(
            Owed("escalation", "task", str(task.id), unit.contacts["supervisor"], unit_code=unit.code)
        )
        owed += _to_court("escalation", "task", task.id, request.court_code, courts.get(request.court_code))
    return owed


def objection_due(task: Task, settings: Settings) -> datetime:
    """The end of the day the court must have answered an objection by (closed_at + N days)."""
    day = task.closed_at.astimezone(SHANGHAI).date() + timedelta(days=settings.objection_answer_days)
    return datetime.combine(day, time(23, 59, 59), tzinfo=SHANGHAI)


def objections(session: Session, ctx: Context) -> list[Owed]:
    """A unit objected: the officer and the court's supervisor at once, and again when the answer is late."""
    rows = _fresh_tasks(
        session, "objection_overdue", Task.status == "objected", Task.objection_answered_at.is_(None)
    )
    officers = _officers(session, {request.id for _, request, _ in rows})
    courts = _courts(session)
    owed = []
    for task, request, _unit in rows:
        to = (officers[request.id], courts.get(request.court_code))
        owed += _to_court("objection", "task", task.id, request.court_code, *to)
        if objection_due(task, ctx.settings) < ctx.at:
            owed += _to_court("objection_overdue", "task", task.id, request.court_code, *to)
    return owed


def _renewed() -> ColumnElement:
    renewal = aliased(Control)
    return exists().where(renewal.renews_id == Control.id, renewal.status.in_(IN_FORCE))


def controls(session: Session, ctx: Context) -> list[Owed]:
    """Controls over time: expire those past their end date unrenewed; tell the officer of those ending,
    expired, taken effect from the waiting list, withdrawn by their unit (a registration it undid), or
    pre-seals turned into seals (their conversion, read from the audit events of the last 30 days)."""
    owed = []
    expired = session.execute(
        select(Control)
        .where(Control.status == ControlStatus.ACTIVE, Control.period_end < ctx.today, ~_renewed())
        # a receipt changing one of them (a renewal reported late) goes first: it is expired on the next run
        .with_for_update(skip_locked=True)
    ).scalars()
    for control in expired:
        data = {"period_end": control.period_end.isoformat()}
        change(session, control, ControlEvent.EXPIRED, cause=Cause.HUB_JOB, at=ctx.at, actor="hub", data=data)
        owed.append(("control_expired", "", control))
    thresholds = sorted(ctx.settings.control_ending_days)
    if thresholds:
        ending = session.execute(
            select(Control).where(
                Control.status == ControlStatus.ACTIVE,
                Control.period_end >= ctx.today,
                Control.period_end <= ctx.today + timedelta(days=thresholds[-1]),
                ~_renewed(),
            )
        ).scalars()
        for control in ending:
            days_left = (control.period_end - ctx.today).days
            owed.append(("control_ending", str(next(t for t in thresholds if days_left <= t)), control))
    promoted = session.execute(
        select(Control.id).where(
            Control.status == ControlStatus.ACTIVE, Control.promoted_at >= ctx.at - timedelta(days=30)
        )
    ).scalars()
    for control_id in underived(session, kind="control_effective", entity="control", ids=list(promoted)):
        owed.append(("control_effective", "", session.get(Control, control_id)))
    withdrawn = session.execute(
        select(Control.id).where(
            Control.status == ControlStatus.WITHDRAWN, Control.updated_at >= ctx.at - timedelta(days=30)
        )
    ).scalars()
    for control_id in underived(session, kind="control_withdrawn", entity="control", ids=list(withdrawn)):
        owed.append(("control_withdrawn", "", session.get(Control, control_id)))
    converted = session.execute(
        select(AuditEvent.entity_id).where(
            AuditEvent.kind == f"control.{ControlEvent.CONVERTED}",
            AuditEvent.at >= ctx.at - timedelta(days=30),
        )
    ).scalars()
    ids = sorted({int(i) for i in converted})
    for control_id in underived(session, kind="control_converted", entity="control", ids=ids):
        owed.append(("control_converted", "", session.get(Control, control_id)))
    officers = _officers(session, {control.request_id for _, _, control in owed})
    return [
        Owed(
            kind, "control", str(c.id), officers[c.request_id] or "", variant=variant, court_code=c.court_code
        )
        for kind, variant, c in owed
    ]


def delivery_failed(session: Session, ctx: Context) -> list[Owed]:
    """A task none of its unit's channels could serve: every administrator."""
    later = aliased(QueuedDelivery)
    exhausted = session.execute(
        select(QueuedDelivery.id)
        .join(Task, Task.id == QueuedDelivery.task_id)
        .where(
            QueuedDelivery.status == "failed",
            QueuedDelivery.finished_at >= ctx.at - timedelta(days=30),
            Task.status == "created",
            ~exists().where(later.task_id == QueuedDelivery.task_id, later.id > QueuedDelivery.id),
        )
    ).scalars()
    exhausted = underived(session, kind="delivery_failed", entity="delivery", ids=list(exhausted))
    admins = session.execute(
        select(User.email).where(User.role == "admin", User.active.is_(True), User.email.is_not(None))
    ).scalars()
    addresses = list(admins)
    return [Owed("delivery_failed", "delivery", str(d), a) for d in exhausted for a in addresses]


DIGEST_HOUR = 8  # Monday 08:00 Asia/Shanghai


def digest_week(ctx: Context) -> tuple[str, date, date] | None:
    """The week a digest is due for as of ctx.at: (ISO week of this Monday, last Monday, last Sunday),
    or None before Monday 08:00 of this week."""
    monday = ctx.today - timedelta(days=ctx.today.weekday())
    if ctx.at < datetime.combine(monday, time(DIGEST_HOUR), tzinfo=SHANGHAI):
        return None
    week = monday.isocalendar()
    return f"{week.year}-W{week.week:02d}", monday - timedelta(days=7), monday - timedelta(days=1)


def digest(session: Session, ctx: Context) -> list[Owed]:
    """Monday 08:00: each court's supervisor, for all units; each unit's supervisor, for his unit.

    Only units with a task received last week or overdue now are reported; a court or unit with
    nothing to report gets no e-mail.
    """
    week = digest_week(ctx)
    if week is None:
        return []
    variant, first, last = week
    if session.execute(
        select(AlertItem.id).where(AlertItem.kind == "digest", AlertItem.variant == variant).limit(1)
    ).first():
        return []  # derived already this week
    start, end = period(first, last)
    owed = []
    for code, supervisor in _courts(session).items():
        if unit_figures(session, calendar=ctx.calendar, start=start, end=end, at=ctx.at, court_code=code):
            owed.append(Owed("digest", "court", code, supervisor, variant=variant, court_code=code))
    units = {u.code: u for u in session.execute(select(Unit)).scalars()}
    for figures in unit_figures(session, calendar=ctx.calendar, start=start, end=end, at=ctx.at):
        unit = units[figures.unit_code]
        owed.append(
            Owed(
                "digest", "unit", unit.code, unit.contacts["supervisor"], variant=variant, unit_code=unit.code
            )
        )
    return owed


JOBS: dict[str, Job] = {
    job.name: job
    for job in (
        Job("due-soon", "提醒：任务将于下一个工作日到期（发给协助单位经办人）", ("due_soon",), due_soon),
        Job("overdue", "逾期：任务已过期限（发给协助单位经办人和承办法官）", ("overdue",), overdue),
        Job(
            "escalation",
            "督办：逾期超过规定工作日（发给单位负责人和法院督办人）",
            ("escalation",),
            escalation,
        ),
        Job(
            "objections", "异议：单位提出异议，及异议答复逾期", ("objection", "objection_overdue"), objections
        ),
        Job(
            "controls",
            "控制措施：到期前提醒、轮候生效、到期失效、单位撤销登记、预查封转为查封",
            (
                "control_ending",
                "control_effective",
                "control_expired",
                "control_withdrawn",
                "control_converted",
            ),
            controls,
        ),
        Job(
            "digest",
            "周报：每周一 08:00，按单位统计收到、答复、按期率、用时、逾期（发给督办人）",
            ("digest",),
            digest,
        ),
        Job(
            "delivery-failed",
            "送达失败：所有送达渠道均失败（发给系统管理员）",
            ("delivery_failed",),
            delivery_failed,
        ),
    )
}
