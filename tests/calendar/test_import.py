"""Importing a year's notice (the example 2027 calendar in docs/) on a real database.

The example notice: 春节 2027-02-05 (Fri) .. 02-13 (Sat) off, Sun 02-14 worked; nothing special in March.
By rule (before the import) only 02-05 (农历除夕) and Mon 02-08 of that week are off on weekdays.
"""

import json
from datetime import date, datetime
from pathlib import Path

import pytest
from conftest import submit
from sqlalchemy import func, select, update

from hub.audit import verify
from hub.calendar.importer import (
    ChangedTask,
    NoticeError,
    ReplacedDay,
    YearNotice,
    import_year,
    load_notice,
)
from hub.calendar.service import SpecialDay, load_calendar, show_year
from hub.calendar.workdays import SHANGHAI, Due
from hub.db import unit_of_work
from hub.models import AuditEvent, CalendarDay, CalendarYear, Task

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "calendar-2027.example.toml"
SOURCE = "示例：仿国务院办公厅关于2027年部分节假日安排的通知（非官方）"


def shanghai(y, m, d, hh=10):
    return datetime(y, m, d, hh, tzinfo=SHANGHAI)


def end_of(y, m, d):
    return datetime(y, m, d, 23, 59, 59, tzinfo=SHANGHAI)


@pytest.fixture
def notice() -> YearNotice:
    return load_notice(EXAMPLE)


@pytest.fixture
def tasks(client, token, hub) -> dict[str, int]:
    """request-query.xml's tasks by unit: real-estate and vehicles (3 working days), civil-affairs (5)."""
    submit(client, token("officer"), "request-query.xml")
    with unit_of_work(hub.sessions) as session:
        rows = session.execute(select(Task.unit_code, Task.id, Task.limit_days)).all()
    assert {(unit, limit) for unit, _, limit in rows} == {
        ("real-estate", 3),
        ("vehicles", 3),
        ("civil-affairs", 5),
    }
    return {unit: task_id for unit, task_id, _ in rows}


def place(hub, task_id: int, **values) -> None:
    with unit_of_work(hub.sessions) as session:
        session.execute(update(Task).where(Task.id == task_id).values(**values))


def state(hub, task_id: int) -> tuple[datetime | None, bool, str]:
    with unit_of_work(hub.sessions) as session:
        task = session.get(Task, task_id)
        assert task is not None
        return task.due_at, task.due_provisional, task.status


def imported(hub, notice: YearNotice):
    with unit_of_work(hub.sessions) as session:
        return import_year(session, notice=notice, actor="test")


def audit_events(hub) -> list[AuditEvent]:
    with unit_of_work(hub.sessions) as session:
        return list(session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars())


def test_the_example_notice(notice):
    assert (notice.year, notice.source) == (2027, SOURCE)
    rows = notice.overrides()
    assert len(rows) == 23
    assert [d for d, (working, _) in rows.items() if working] == [
        date(2027, 1, 31),
        date(2027, 2, 14),
        date(2027, 5, 8),
        date(2027, 9, 26),
        date(2027, 10, 9),
    ]
    assert rows[date(2027, 2, 12)] == (False, "春节")
    assert date(2027, 2, 13) not in rows  # a Saturday: off anyway


def test_import_moves_provisional_due_dates_and_leaves_closed_tasks(hub, tasks, notice):
    served = shanghai(2027, 2, 5)  # Fri
    with unit_of_work(hub.sessions) as session:  # what the hub counted by rule: 02-08 off, 09, 10, 11
        assert load_calendar(session).due(served, 3) == Due(end_of(2027, 2, 11), True)
    place(hub, tasks["real-estate"], served_at=served, due_at=end_of(2027, 2, 11), due_provisional=True)
    # Mon 03-01 + 5 working days is Mon 03-08 by rule and by the notice alike
    place(
        hub,
        tasks["civil-affairs"],
        served_at=shanghai(2027, 3, 1),
        due_at=end_of(2027, 3, 8),
        due_provisional=True,
    )
    place(
        hub,
        tasks["vehicles"],
        status="completed",
        closed_at=shanghai(2027, 2, 9),
        served_at=served,
        due_at=end_of(2027, 2, 11),
        due_provisional=True,
    )
    events_before = len(audit_events(hub))

    result = imported(hub, notice)

    # 02-06..02-13 off, Sun 02-14 worked (1), Mon 02-15 (2), Tue 02-16 (3)
    assert result.tasks == [
        ChangedTask(
            tasks["real-estate"],
            "real-estate",
            "AT-2026-000101",
            end_of(2027, 2, 11),
            end_of(2027, 2, 16),
            False,
        )
    ]
    assert result.confirmed == [tasks["civil-affairs"]]
    assert (result.year, result.source, result.days, result.changed, result.replaced) == (
        2027,
        SOURCE,
        23,
        True,
        [],
    )
    assert state(hub, tasks["real-estate"]) == (end_of(2027, 2, 16), False, "served")
    assert state(hub, tasks["civil-affairs"]) == (end_of(2027, 3, 8), False, "served")
    assert state(hub, tasks["vehicles"]) == (end_of(2027, 2, 11), True, "completed")

    events = audit_events(hub)
    assert len(events) == events_before + 1
    event = events[-1]
    assert (event.kind, event.entity, event.entity_id, event.actor) == (
        "calendar.imported",
        "calendar",
        "2027",
        "test",
    )
    assert json.loads(event.data) == {
        "year": 2027,
        "source": SOURCE,
        "days": 23,
        "tasks": [tasks["real-estate"]],
        "confirmed": [tasks["civil-affairs"]],
        "replaced": [],
    }
    with unit_of_work(hub.sessions) as session:
        assert verify(session).ok
        assert not load_calendar(session).is_provisional_year(2027)
        assert load_calendar(session).due(served, 3) == Due(end_of(2027, 2, 16), False)


def test_a_second_import_changes_nothing(hub, tasks, notice):
    place(
        hub,
        tasks["real-estate"],
        served_at=shanghai(2027, 2, 5),
        due_at=end_of(2027, 2, 11),
        due_provisional=True,
    )
    first = imported(hub, notice)
    assert first.changed and len(first.tasks) == 1
    with unit_of_work(hub.sessions) as session:
        year = session.get(CalendarYear, 2027)
        assert year is not None
        first_imported_at = year.imported_at
        rows = session.execute(select(CalendarDay.day, CalendarDay.working, CalendarDay.note)).all()
    events = len(audit_events(hub))

    second = imported(hub, notice)

    assert (second.changed, second.tasks, second.confirmed, second.replaced, second.days) == (
        False,
        [],
        [],
        [],
        23,
    )
    assert len(audit_events(hub)) == events
    assert state(hub, tasks["real-estate"]) == (end_of(2027, 2, 16), False, "served")
    with unit_of_work(hub.sessions) as session:
        assert session.execute(select(CalendarDay.day, CalendarDay.working, CalendarDay.note)).all() == rows
        assert session.get(CalendarYear, 2027).imported_at == first_imported_at


def test_the_import_replaces_the_years_overrides_and_says_so(hub, notice):
    with unit_of_work(hub.sessions) as session:
        session.add(
            CalendarDay(day=date(2027, 1, 2), working=True, note="本地调整")
        )  # Sat: not in the notice
        session.add(CalendarDay(day=date(2027, 2, 5), working=False, note="手工"))  # as the notice says
        session.add(CalendarDay(day=date(2026, 12, 31), working=False, note="另一年"))
    result = imported(hub, notice)
    assert result.replaced == [ReplacedDay(date(2027, 1, 2), True, "本地调整")]
    with unit_of_work(hub.sessions) as session:
        assert session.get(CalendarDay, date(2027, 1, 2)) is None
        assert session.get(CalendarDay, date(2027, 2, 5)).note == "春节"
        assert session.get(CalendarDay, date(2026, 12, 31)).note == "另一年"  # other years untouched
        assert (
            session.execute(
                select(func.count()).select_from(CalendarDay).where(CalendarDay.day >= date(2027, 1, 1))
            ).scalar_one()
            == 23
        )


def test_show_year_by_rule_then_imported(hub, notice):
    with unit_of_work(hub.sessions) as session:
        before = show_year(session, year=2027)
    assert (before.status, before.provisional, before.source) == ("rule", True, None)
    assert SpecialDay(date(2027, 2, 5), False, "农历除夕", False) in before.days
    assert not any(d.working for d in before.days)  # the rule knows no adjusted working weekends

    imported(hub, notice)
    with unit_of_work(hub.sessions) as session:
        after = show_year(session, year=2027)
    assert (after.status, after.provisional, after.source) == ("imported", False, SOURCE)
    assert len(after.days) == 23 and all(d.overridden for d in after.days)
    feb14 = next(d for d in after.days if d.day == date(2027, 2, 14))
    assert (feb14.working, feb14.note, feb14.weekday_zh) == (True, "春节调休上班", "星期日")


def test_show_year_built_in(hub):
    with unit_of_work(hub.sessions) as session:
        view = show_year(session, year=2026)
    assert (view.status, view.provisional) == ("built-in", False)
    assert SpecialDay(date(2026, 2, 14), True, "春节调休上班", False) in view.days
    assert SpecialDay(date(2026, 10, 8), False, "", False) not in view.days
    assert [d.day for d in view.days if d.working] == [
        date(2026, m, d) for m, d in [(1, 4), (2, 14), (2, 28), (5, 9), (9, 20), (10, 10)]
    ]


# --- refusals: each names its entry; nothing reaches the database (the file is refused before)


def broken(tmp_path: Path, *changes: tuple[str, str]) -> Path:
    text = EXAMPLE.read_text(encoding="utf-8")
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / "notice.toml"
    path.write_text(text, encoding="utf-8")
    return path


BAD = {
    "holiday in another year": (
        [("from = 2027-01-01", "from = 2026-12-31")],
        "holiday '元旦' (holidays[0]): 2026-12-31 is not in 2027",
    ),
    "working day in another year": (
        [("day = 2027-01-31", "day = 2028-01-30")],
        "working day 2028-01-30 (working_days[0]): 2028-01-30 is not in 2027",
    ),
    "from after to": (
        [("from = 2027-09-15", "from = 2027-09-16")],
        "holiday '中秋节' (holidays[5]): from 2027-09-16 is after to 2027-09-15",
    ),
    "both holiday and working day": (
        [("day = 2027-02-14", "day = 2027-02-13")],
        "working day 2027-02-13 (working_days[1]): also a day off of holiday '春节' (holidays[1])",
    ),
    "working day not a weekend": (
        [("day = 2027-05-08", "day = 2027-05-07")],
        "working day 2027-05-07 (working_days[2]): 2027-05-07 is a 星期五: only a Saturday or Sunday",
    ),
    "holiday too long": (
        [("to = 2027-10-07", "to = 2027-10-17")],
        "holiday '国庆节' (holidays[6]): 2027-10-01..2027-10-17 is 17 days; a holiday is at most 10",
    ),
    "unknown key in a holiday": (
        [('name = "端午节"', 'name = "端午节"\nlength = 1')],
        "holiday '端午节' (holidays[4]): length: extra inputs are not permitted",
    ),
    "unknown key in a working day": (
        [('note = "劳动节调休上班"', 'notes = "劳动节调休上班"')],
        "working day 2027-05-08 (working_days[2]): notes: extra inputs are not permitted",
    ),
    "unknown top-level key": (
        [("year = 2027", "year = 2027\nyaer = 2027")],
        "yaer: extra inputs are not permitted",
    ),
    "overlapping holidays": (
        [("from = 2027-09-15\nto = 2027-09-15", "from = 2027-10-01\nto = 2027-10-01")],
        "holiday '国庆节' (holidays[6]): overlaps holiday '中秋节' (holidays[5])",
    ),
    "working day twice": (
        [("day = 2027-09-26", "day = 2027-10-09")],
        "working day 2027-10-09 (working_days[4]): listed twice (also working_days[3])",
    ),
    "not TOML": ([("year = 2027", "year = ")], "TOML syntax error"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_a_bad_notice_is_refused_naming_its_entry(tmp_path, case):
    changes, message = BAD[case]
    path = broken(tmp_path, *changes)
    with pytest.raises(NoticeError) as refused:
        load_notice(path)
    assert str(refused.value).startswith(f"{path}: ")
    assert message in str(refused.value)


def test_every_problem_is_listed(tmp_path):
    path = broken(
        tmp_path, ("from = 2027-09-15", "from = 2027-09-16"), ("day = 2027-05-08", "day = 2027-05-07")
    )
    with pytest.raises(NoticeError) as refused:
        load_notice(path)
    lines = str(refused.value).splitlines()
    assert lines[0] == f"{path}: 2 errors:"
    assert lines[1].startswith("  holiday '中秋节' (holidays[5]): from 2027-09-16 is after")
    assert lines[2].startswith("  working day 2027-05-07 (working_days[2]): 2027-05-07 is a 星期五")
