"""The figures a court's supervisor reports per member unit: tasks received, answered, on time, how fast,
and what is overdue. One computation for the Monday digest, the web page and the CSV export.

Counts come from one SQL aggregate; the medians from a second one, the answered tasks of the period counted
per unit and (service day, answer day) in SQL, so that a year of answers costs its few thousand distinct
day pairs in Python rather than a row each; the overdue list is one indexed query over the open tasks.
The period needs an index on tasks.served_at to stay fast (see _counts).
"""

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import Date, Select, case, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.functions import FunctionElement

from hub.auth.service import Principal
from hub.calendar.workdays import SHANGHAI, WorkCalendar
from hub.errors import Forbidden, Invalid, NotFound
from hub.models import Court, Request, Task, Unit
from hub.tasks.service import OPEN_STATES

ANSWERED_STATES = ("completed", "objected")  # closed by a final receipt; a cancelled task was not answered


@dataclass(frozen=True)
class OverdueTask:
    task_id: int
    request_id: int
    request_no: str
    case_no: str
    action: str
    unit_code: str
    due_at: datetime
    working_days_overdue: int  # working days after the due day up to and including the day of `at`


@dataclass(frozen=True)
class UnitFigures:
    unit_code: str
    unit_name: str
    received: int  # tasks served to the unit in [start, end)
    answered: int  # of those, closed with a final receipt (completed or objected)
    on_time: int  # of the answered, closed at or before due_at
    on_time_pct: float | None  # on_time / answered * 100, None when answered == 0
    median_working_days: float | None  # median working days from service to answer over the answered
    outcomes: dict[str, int]  # outcome code -> count, over the answered
    open_overdue: list[OverdueTask]  # the unit's tasks overdue at `at` (any service date), oldest due first


def shanghai_day(instant: datetime) -> date:
    return instant.astimezone(SHANGHAI).date()


class shanghai_date(FunctionElement[date]):
    """The Shanghai calendar day of an instant column, computed by the database.

    Instants are stored in UTC. SQLite adds 8 hours to the stored text; PostgreSQL converts the
    timestamptz with the Asia/Shanghai zone. They agree for every instant since 1991, when China last
    observed daylight saving time.
    """

    type = Date()
    name = "shanghai_date"
    inherit_cache = True


@compiles(shanghai_date, "sqlite")
def _shanghai_date_sqlite(element: shanghai_date, compiler, **kw) -> str:
    return f"date({compiler.process(element.clauses, **kw)}, '+8 hours')"


@compiles(shanghai_date, "postgresql")
def _shanghai_date_postgresql(element: shanghai_date, compiler, **kw) -> str:
    return f"CAST(({compiler.process(element.clauses, **kw)}) AT TIME ZONE 'Asia/Shanghai' AS DATE)"


def median_of(counts: Counter[int]) -> float | None:
    """The median of values given as value -> how many times (statistics.median of them all), or None."""
    total = sum(counts.values())
    if not total:
        return None
    lower, upper = (total - 1) // 2, total // 2  # the middle positions, counted from 0
    seen, low = 0, None
    for value in sorted(counts):
        seen += counts[value]
        if low is None and seen > lower:
            low = value
        if seen > upper:
            return (low + value) / 2
    raise AssertionError("unreachable: the positions are below the total")


def period(first_day: date, last_day: date) -> tuple[datetime, datetime]:
    """The instants [start, end) of the Shanghai days first_day..last_day, both included."""
    start = datetime.combine(first_day, time(), tzinfo=SHANGHAI)
    return start, datetime.combine(last_day + timedelta(days=1), time(), tzinfo=SHANGHAI)


def unit_figures(
    session: Session,
    *,
    calendar: WorkCalendar,
    start: datetime,
    end: datetime,
    at: datetime,
    court_code: str | None = None,
    unit_codes: list[str] | None = None,
) -> list[UnitFigures]:
    """Per unit, the tasks served in [start, end) and the tasks overdue at `at` (whatever their service date).

    start, end and at must be timezone-aware. court_code limits everything to that court's requests
    (None: all courts). unit_codes limits to those units and lists each of them, in the order given,
    even with nothing to show (zeros, None for the rate and the median); an unknown code raises
    NotFound. Without unit_codes, the units with a task received in the period or overdue at `at`
    are listed, by unit code.

    received counts every task served in the period, those cancelled since included (they are neither
    answered nor overdue). The figures read the tasks as they are now: a task of the period answered
    after `at` counts as answered. `at` is the instant "overdue" is judged at, normally now: a task is
    overdue when it is open (created, served, acknowledged) and its due_at is before `at`;
    working_days_overdue counts the working days after its due day up to and including the Shanghai day
    of `at`: 1 on the first working day after the due day, 0 over the weekend after a Friday due day.
    """
    for name, value in (("start", start), ("end", end), ("at", at)):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"{name} must be timezone-aware")
    names = _unit_names(session, unit_codes)
    counts = _counts(session, start=start, end=end, court_code=court_code, unit_codes=unit_codes)
    days = _answer_days(
        session, calendar=calendar, start=start, end=end, court_code=court_code, unit_codes=unit_codes
    )
    overdue = _overdue(session, calendar=calendar, at=at, court_code=court_code, unit_codes=unit_codes)

    listed = list(names) if unit_codes is not None else sorted(set(counts) | set(overdue))
    figures = []
    for code in listed:
        received, answered, on_time, outcomes = counts.get(code, (0, 0, 0, Counter()))
        figures.append(
            UnitFigures(
                unit_code=code,
                unit_name=names[code],
                received=received,
                answered=answered,
                on_time=on_time,
                on_time_pct=on_time / answered * 100 if answered else None,
                median_working_days=median_of(days.get(code, Counter())),
                outcomes=dict(sorted(outcomes.items())),
                open_overdue=overdue.get(code, []),
            )
        )
    return figures


def _unit_names(session: Session, unit_codes: list[str] | None) -> dict[str, str]:
    """code -> name of the units asked for (in the order given), or of every unit in the directory."""
    query = select(Unit.code, Unit.name)
    if unit_codes is not None:
        query = query.where(Unit.code.in_(unit_codes))
    found: dict[str, str] = {code: name for code, name in session.execute(query.order_by(Unit.code))}
    if unit_codes is None:
        return found
    unknown = [code for code in unit_codes if code not in found]
    if unknown:
        raise NotFound(f"There is no unit {', '.join(unknown)} in the directory (see GET /api/v1/units).")
    return {code: found[code] for code in dict.fromkeys(unit_codes)}


def _scoped(query: Select, *, court_code: str | None, unit_codes: list[str] | None) -> Select:
    """`query` over Task limited to a court's requests and to some units.

    The court is an EXISTS on the request's key rather than a join filtered on requests.court_code:
    SQLite without statistics would otherwise start from that court's requests (all of them, in a hub
    of one court) instead of the tasks of the period or the overdue ones.
    """
    if court_code is not None:
        request = aliased(Request)  # the query may join Request itself
        of_court = select(request.id).where(request.id == Task.request_id, request.court_code == court_code)
        query = query.where(of_court.correlate(Task).exists())
    if unit_codes is not None:
        query = query.where(Task.unit_code.in_(unit_codes))
    return query


def _counts(
    session: Session, *, start: datetime, end: datetime, court_code: str | None, unit_codes: list[str] | None
) -> dict[str, tuple[int, int, int, Counter[str]]]:
    """unit -> (received, answered, on time, outcomes) over the tasks served in [start, end): one GROUP BY.

    Without an index on tasks.served_at this and _answer_days scan the whole table.
    """
    query = _scoped(
        select(
            Task.unit_code,
            Task.status,
            Task.outcome,
            func.count(),
            func.sum(case((Task.closed_at <= Task.due_at, 1), else_=0)),
        ).where(Task.served_at >= start, Task.served_at < end),
        court_code=court_code,
        unit_codes=unit_codes,
    ).group_by(Task.unit_code, Task.status, Task.outcome)
    totals: dict[str, list] = {}
    for unit_code, status, outcome, count, on_time in session.execute(query):
        row = totals.setdefault(unit_code, [0, 0, 0, Counter()])
        row[0] += count
        if status in ANSWERED_STATES:
            row[1] += count
            row[2] += int(on_time or 0)
            row[3][outcome or "UNKNOWN"] += count
    return {code: (r[0], r[1], r[2], r[3]) for code, r in totals.items()}


def _answer_days(
    session: Session,
    *,
    calendar: WorkCalendar,
    start: datetime,
    end: datetime,
    court_code: str | None,
    unit_codes: list[str] | None,
) -> dict[str, Counter[int]]:
    """unit -> working days from service to answer -> how many answered tasks served in [start, end) took
    that many: one GROUP BY over the unit, the status and the Shanghai days of service and answer.

    Only tasks with an outcome are read (the final receipt sets it with the status), and their status is
    checked here: a condition on status would let SQLite without statistics read every answered task
    ever through ix_tasks_status_due instead of the period's through served_at.
    """
    served_day, answered_day = shanghai_date(Task.served_at), shanghai_date(Task.closed_at)
    query = _scoped(
        select(Task.unit_code, Task.status, served_day, answered_day, func.count()).where(
            Task.served_at >= start, Task.served_at < end, Task.outcome.is_not(None)
        ),
        court_code=court_code,
        unit_codes=unit_codes,
    ).group_by(Task.unit_code, Task.status, served_day, answered_day)
    known: dict[tuple[date, date], int] = {}  # few distinct (service day, answer day) pairs
    days: dict[str, Counter[int]] = {}
    for unit_code, status, served, answered, count in session.execute(query):
        if status not in ANSWERED_STATES:
            continue
        pair = (served, answered)
        if pair not in known:
            known[pair] = calendar.working_days_between(*pair)
        days.setdefault(unit_code, Counter())[known[pair]] += count
    return days


def _overdue(
    session: Session,
    *,
    calendar: WorkCalendar,
    at: datetime,
    court_code: str | None,
    unit_codes: list[str] | None,
) -> dict[str, list[OverdueTask]]:
    """unit -> its open tasks due before `at`, oldest due first: a range scan of ix_tasks_status_due
    (status, due_at), or of ix_tasks_unit_status_due when units are named."""
    columns = (Task.id, Task.request_id, Request.request_no, Request.case_no, Request.action, Task.unit_code)
    query = _scoped(
        select(*columns, Task.due_at)
        .join(Request, Request.id == Task.request_id)
        .where(Task.status.in_(OPEN_STATES), Task.due_at < at),
        court_code=court_code,
        unit_codes=unit_codes,
    )
    today = shanghai_day(at)
    known: dict[date, int] = {}
    overdue: dict[str, list[OverdueTask]] = {}
    for task_id, request_id, request_no, case_no, action, unit_code, due_at in session.execute(
        query.order_by(Task.due_at, Task.id)
    ):
        due_day = shanghai_day(due_at)
        if due_day not in known:
            known[due_day] = calendar.working_days_between(due_day, today)
        overdue.setdefault(unit_code, []).append(
            OverdueTask(task_id, request_id, request_no, case_no, action, unit_code, due_at, known[due_day])
        )
    return overdue


def figures_for(
    session: Session,
    *,
    principal: Principal,
    calendar: WorkCalendar,
    first_day: date,
    last_day: date,
    at: datetime,
    court_code: str | None = None,
    unit_codes: list[str] | None = None,
) -> list[UnitFigures]:
    """unit_figures for the Shanghai days first_day..last_day, as far as `principal` may see them.

    A court's officers and supervisor: their court's requests only (naming another court is refused).
    An administrator: every court, or the one named. Unit staff are refused: a unit's own figures
    may be offered to it later, but not the figures of the others.
    """
    if principal.role == "admin":
        if court_code is not None and session.get(Court, court_code) is None:
            raise NotFound(f"There is no court {court_code}.")
    elif principal.is_court:
        if court_code is not None and court_code != principal.court_code:
            raise Forbidden(
                f"You can see the figures of court {principal.court_code} only, not {court_code}."
            )
        court_code = principal.court_code
    else:
        raise Forbidden("Only a court's officers and supervisor, or an administrator, can see these figures.")
    if last_day < first_day:
        raise Invalid(
            f"The period ends ({last_day}) before it starts ({first_day}): give from <= to.",
            code="invalid_parameters",
        )
    start, end = period(first_day, last_day)
    return unit_figures(
        session, calendar=calendar, start=start, end=end, at=at, court_code=court_code, unit_codes=unit_codes
    )
