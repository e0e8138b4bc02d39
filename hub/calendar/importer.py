"""Loading a year's official calendar (the State Council's notice) and recomputing the due dates it moves.

The notice as data: one TOML file per year (docs/calendar-2027.example.toml is an example)::

    year = 2027                                   # the year the notice is for
    source = "国务院办公厅关于2027年部分节假日安排的通知"   # its title (or number), kept with the year

    [[holidays]]                                  # one per holiday, at least one
    name = "春节"                                  # the holiday's name, shown by `hub calendar show`
    from = 2027-02-05                             # first day off (a TOML date)
    to = 2027-02-13                               # last day off, inclusive; at most 10 days in all

    [[working_days]]                              # one per adjusted working weekend (调休上班), may be none
    day = 2027-02-14                              # a Saturday or a Sunday
    note = "春节调休上班"                            # optional; default "调休上班"

Refused, naming the entry: a key not listed above, a day outside `year`, `from` after `to`, a holiday
longer than 10 days, a working day that is not a Saturday or Sunday, a working day inside a holiday,
two holidays that overlap, a working day listed twice. A holiday that crosses New Year is written in
the notice of the year it falls in, each part in its own year's file.

What an import does (`import_year`): the notice becomes the year's rows of the override table
(CalendarDay): each weekday inside a holiday is a day off (note: the holiday's name), each working
day a working day. The import REPLACES the year's overrides entirely: rows of that year the notice does
not contain, including an administrator's `hub calendar set`, are removed and reported (`replaced`);
set them again afterwards if they still hold. The year is recorded in CalendarYear, so it is no longer
provisional: its days outside the table are ordinary weekdays and weekends. Then every open task that
was served and is either due provisionally or due on or after 1 January of the year is recomputed with
the new calendar; those whose due instant moved are listed. One audit event, "calendar.imported",
records the year, the source, the tasks moved and those only confirmed. Importing the same notice again
writes nothing and records nothing.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from hub.audit import record
from hub.calendar.service import WEEKDAYS_ZH, load_calendar
from hub.calendar.workdays import SHANGHAI
from hub.clock import now
from hub.models import CalendarDay, CalendarYear, Request, Task
from hub.tasks.service import OPEN_STATES
from hub.tomlfile import got_of, load_model, message_of

MAX_HOLIDAY_DAYS = 10
DEFAULT_WORKING_NOTE = "调休上班"


class NoticeError(Exception):
    """The notice file cannot be read or is invalid; the message names the file, the entry and the key."""


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Holiday(_Entry):
    name: str = Field(min_length=1, max_length=100)
    first: date = Field(alias="from")
    last: date = Field(alias="to")

    @model_validator(mode="after")
    def _range(self) -> "Holiday":
        if self.first > self.last:
            raise ValueError(f"from {self.first} is after to {self.last}")
        length = (self.last - self.first).days + 1
        if length > MAX_HOLIDAY_DAYS:
            raise ValueError(
                f"{self.first}..{self.last} is {length} days; a holiday is at most {MAX_HOLIDAY_DAYS} "
                "(is a date mistyped?)"
            )
        return self

    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]


class WorkingDay(_Entry):
    day: date
    note: str = Field(DEFAULT_WORKING_NOTE, max_length=200)

    @model_validator(mode="after")
    def _weekend(self) -> "WorkingDay":
        if self.day.weekday() < 5:
            raise ValueError(
                f"{self.day} is a {WEEKDAYS_ZH[self.day.weekday()]}: only a Saturday or Sunday can be "
                "an adjusted working day (a weekday is working anyway)"
            )
        return self


def _holiday_label(i: int, holiday: Holiday) -> str:
    return f"holiday {holiday.name!r} (holidays[{i}])"


def _working_label(i: int, working: WorkingDay) -> str:
    return f"working day {working.day} (working_days[{i}])"


class YearNotice(_Entry):
    """One year's notice: its holidays and adjusted working weekends, all inside `year`."""

    year: int = Field(ge=2000, le=2100)
    source: str = Field(min_length=1, max_length=200)
    holidays: list[Holiday] = Field(min_length=1)
    working_days: list[WorkingDay] = []

    @model_validator(mode="after")
    def _consistent(self) -> "YearNotice":
        problems: list[str] = []
        off: dict[date, int] = {}
        for i, holiday in enumerate(self.holidays):
            label = _holiday_label(i, holiday)
            outside = [d for d in (holiday.first, holiday.last) if d.year != self.year]
            if outside:
                problems.append(f"{label}: {outside[0]} is not in {self.year}")
                continue
            clash = sorted({off[d] for d in holiday.days() if d in off})
            if clash:
                problems.append(f"{label}: overlaps {_holiday_label(clash[0], self.holidays[clash[0]])}")
            for d in holiday.days():
                off.setdefault(d, i)
        seen: dict[date, int] = {}
        for i, working in enumerate(self.working_days):
            label = _working_label(i, working)
            if working.day.year != self.year:
                problems.append(f"{label}: {working.day} is not in {self.year}")
            elif working.day in seen:
                problems.append(f"{label}: listed twice (also working_days[{seen[working.day]}])")
            elif working.day in off:
                h = off[working.day]
                problems.append(f"{label}: also a day off of {_holiday_label(h, self.holidays[h])}")
            seen.setdefault(working.day, i)
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def overrides(self) -> dict[date, tuple[bool, str]]:
        """The rows the notice puts in the override table: day -> (working, note). Holiday days that
        fall on a weekend are off anyway and need no row."""
        rows = {d: (False, h.name) for h in self.holidays for d in h.days() if d.weekday() < 5}
        rows.update({w.day: (True, w.note) for w in self.working_days})
        return dict(sorted(rows.items()))


def _describe(data: Any, error: Any) -> list[str]:
    """One pydantic error as lines "holiday '春节' (holidays[1]): key: message (got value)"."""
    loc, where = error["loc"], ""
    if len(loc) >= 2 and loc[0] in ("holidays", "working_days") and isinstance(loc[1], int):
        entries = data.get(loc[0])
        entry = entries[loc[1]] if isinstance(entries, list) and loc[1] < len(entries) else None
        entry = entry if isinstance(entry, dict) else {}
        if loc[0] == "holidays":
            name = entry.get("name")
            where = f"holiday {name!r} (holidays[{loc[1]}]): " if name else f"holidays[{loc[1]}]: "
        else:
            day = entry.get("day")
            where = f"working day {day} (working_days[{loc[1]}]): " if day else f"working_days[{loc[1]}]: "
        loc = loc[2:]
    key = ".".join(str(p) for p in loc)
    msg = message_of(error)
    if not where and not key:  # the notice's own checks across entries: each line names its entry
        return msg.splitlines()
    return [f"{where}{key + ': ' if key else ''}{msg}{got_of(error)}"]


def load_notice(path: Path) -> YearNotice:
    """Read and validate a notice file; any problem raises NoticeError."""
    return load_model(path, YearNotice, describe=_describe, error=NoticeError)


@dataclass(frozen=True)
class ChangedTask:
    task_id: int
    unit_code: str
    request_no: str
    old_due: datetime | None
    new_due: datetime
    provisional: bool  # the new due date is still provisional (it counts days of another year by rule)


@dataclass(frozen=True)
class ReplacedDay:
    """An earlier override of the year that the notice removed or turned the other way."""

    day: date
    working: bool
    note: str


@dataclass(frozen=True)
class ImportResult:
    year: int
    source: str
    days: int  # rows of the year in the override table after the import
    changed: bool  # False: the same notice was loaded already, nothing was written
    tasks: list[ChangedTask]  # open tasks whose due instant moved
    confirmed: list[int]  # ids of open tasks whose due instant stayed and is no longer provisional
    replaced: list[ReplacedDay]


def _write_days(session: Session, notice: YearNotice) -> tuple[bool, list[ReplacedDay]]:
    """Make the year's override rows exactly the notice's; whether any row changed, and what was replaced."""
    wanted = notice.overrides()
    existing = {
        row.day: row
        for row in session.execute(
            select(CalendarDay).where(
                CalendarDay.day.between(date(notice.year, 1, 1), date(notice.year, 12, 31))
            )
        ).scalars()
    }
    replaced = [
        ReplacedDay(day, row.working, row.note)
        for day, row in sorted(existing.items())
        if day not in wanted or wanted[day][0] != row.working
    ]
    changed = False
    for day, row in existing.items():
        if day not in wanted:
            session.delete(row)
            changed = True
    for day, (working, note) in wanted.items():
        row = existing.get(day)
        if row is None:
            session.add(CalendarDay(day=day, working=working, note=note))
            changed = True
        elif (row.working, row.note) != (working, note):
            row.working, row.note = working, note
            changed = True
    year = session.get(CalendarYear, notice.year)
    if year is None:
        session.add(CalendarYear(year=notice.year, source=notice.source, imported_at=now()))
        changed = True
    elif year.source != notice.source:
        year.source, year.imported_at = notice.source, now()
        changed = True
    session.flush()
    return changed, replaced


def _recompute(session: Session, year: int) -> tuple[list[ChangedTask], list[int]]:
    """Recompute the open served tasks the year can affect: due provisionally or due on/after its start."""
    calendar = load_calendar(session)
    start = datetime(year, 1, 1, tzinfo=SHANGHAI)
    rows = session.execute(
        select(Task, Request.request_no)
        .join(Request, Task.request_id == Request.id)
        .where(
            Task.status.in_(OPEN_STATES),
            Task.served_at.is_not(None),
            or_(Task.due_provisional.is_(True), Task.due_at >= start),
        )
        .order_by(Task.id)
    ).all()
    moved: list[ChangedTask] = []
    confirmed: list[int] = []
    for task, request_no in rows:
        assert task.served_at is not None
        due = calendar.due(task.served_at, task.limit_days)
        if task.due_at != due.at:
            moved.append(
                ChangedTask(task.id, task.unit_code, request_no, task.due_at, due.at, due.provisional)
            )
        elif task.due_provisional != due.provisional:
            confirmed.append(task.id)
        else:
            continue
        task.due_at, task.due_provisional = due.at, due.provisional
    session.flush()
    return moved, confirmed


def import_year(session: Session, *, notice: YearNotice, actor: str) -> ImportResult:
    """Load `notice` into the override table, mark its year official, recompute the open due dates it
    moves, and record one "calendar.imported" event (see the module docstring). Flushes, never commits."""
    rows_changed, replaced = _write_days(session, notice)
    moved, confirmed = _recompute(session, notice.year)
    days = len(notice.overrides())
    changed = rows_changed or bool(moved) or bool(confirmed)
    if changed:
        record(
            session,
            actor=actor,
            kind="calendar.imported",
            entity="calendar",
            entity_id=notice.year,
            data={
                "year": notice.year,
                "source": notice.source,
                "days": days,
                "tasks": [t.task_id for t in moved],
                "confirmed": confirmed,
                "replaced": [r.day.isoformat() for r in replaced],
            },
        )
    return ImportResult(notice.year, notice.source, days, changed, moved, confirmed, replaced)
