"""`hub calendar import` and `hub calendar show` as an administrator runs them against a real database, in
the test's process (cli_support.invoke). The example notice (docs/) puts 春节 2027-02-05..02-13 off and
Sun 02-14 to work."""

from datetime import datetime
from pathlib import Path

import pytest
from cli_support import invoke
from conftest import submit
from sqlalchemy import func, select, update

from hub.calendar.workdays import SHANGHAI
from hub.db import make_engine, make_sessionmaker, unit_of_work
from hub.models import AuditEvent, CalendarDay, CalendarYear, Task

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "calendar-2027.example.toml"
SOURCE = "示例：仿国务院办公厅关于2027年部分节假日安排的通知（非官方）"


@pytest.fixture
def run_hub(database_url, tmp_path):
    env = {"HUB_DATABASE_URL": database_url, "HUB_DATA_DIR": str(tmp_path), "HUB_DEMO": "1"}
    return lambda *args: invoke(*args, env=env)


@pytest.fixture
def db(database_url):
    engine = make_engine(database_url)
    yield make_sessionmaker(engine)
    engine.dispose()


def end_of(y, m, d):
    return datetime(y, m, d, 23, 59, 59, tzinfo=SHANGHAI)


def test_show_a_year_by_rule_then_import_it_and_show_it_again(run_hub, db, client, token):
    submit(client, token("officer"), "request-query.xml")  # AT-2026-000101: real-estate has 3 working days
    with unit_of_work(db) as session:
        task_id = session.execute(select(Task.id).where(Task.unit_code == "real-estate")).scalar_one()
        session.execute(update(Task).where(Task.unit_code != "real-estate").values(status="completed"))
        # served Fri 2027-02-05; by rule Mon 02-08 is off, so the 3rd working day is Thu 02-11, provisional
        session.execute(
            update(Task)
            .where(Task.id == task_id)
            .values(
                served_at=datetime(2027, 2, 5, 10, tzinfo=SHANGHAI),
                due_at=end_of(2027, 2, 11),
                due_provisional=True,
            )
        )

    before = run_hub("calendar", "show", "2027")
    assert before.exit_code == 0, before.stderr
    first, *rows = before.stdout.splitlines()
    assert first.startswith("2027: provisional, by rule")
    assert "2027-02-05\t星期五\toff\t农历除夕" in rows
    assert "2027-02-14\t星期日\tworking\t春节调休上班" not in rows

    loaded = run_hub("calendar", "import", str(EXAMPLE))
    assert loaded.exit_code == 0, loaded.stderr
    # 02-06..02-13 off; Sun 02-14 (1), Mon 02-15 (2), Tue 02-16 (3)
    assert loaded.stdout.splitlines() == [
        f"2027: 23 days loaded from {SOURCE}; 1 open task has a new due date:",
        f"task {task_id} real-estate AT-2026-000101: 2027-02-11 23:59 → 2027-02-16 23:59",
    ]
    with unit_of_work(db) as session:
        task = session.get(Task, task_id)
        assert (task.due_at, task.due_provisional) == (end_of(2027, 2, 16), False)

    after = run_hub("calendar", "show", "2027")
    assert after.exit_code == 0, after.stderr
    first, *rows = after.stdout.splitlines()
    assert first.startswith("2027: official, imported 20") and first.endswith(f" from {SOURCE}")
    assert len(rows) == 23
    assert rows[:3] == [
        "2027-01-01\t星期五\toff\t元旦",
        "2027-01-31\t星期日\tworking\t春节调休上班",
        "2027-02-05\t星期五\toff\t春节",
    ]
    assert "2027-10-09\t星期六\tworking\t国庆节调休上班" in rows
    due = run_hub("calendar", "due", "2027-02-05", "3")
    assert due.stdout.strip() == "2027-02-16T23:59:59+08:00"

    again = run_hub("calendar", "import", str(EXAMPLE))
    assert again.exit_code == 0, again.stderr
    assert again.stdout.strip() == (
        f"2027: the same calendar is loaded already (23 days from {SOURCE}); nothing changed"
    )


def test_show_a_built_in_year(run_hub):
    result = run_hub("calendar", "show", "2026")
    assert result.exit_code == 0, result.stderr
    first, *rows = result.stdout.splitlines()
    assert first == "2026: official, from chinese-calendar (built in)"
    assert "2026-02-14\t星期六\tworking\t春节调休上班" in rows
    assert "2026-10-07\t星期三\toff\t国庆节" in rows


def test_import_refuses_a_bad_file_and_writes_nothing(run_hub, db, tmp_path):
    bad = tmp_path / "2027.toml"
    bad.write_text(
        EXAMPLE.read_text(encoding="utf-8").replace("day = 2027-05-08", "day = 2027-05-07"), encoding="utf-8"
    )
    with unit_of_work(db) as session:
        events = session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()

    refused = run_hub("calendar", "import", str(bad))

    assert refused.exit_code == 1
    assert refused.stdout == ""
    assert refused.stderr.startswith(f"{bad}: working day 2027-05-07 (working_days[2]): ")
    assert "星期五" in refused.stderr
    with unit_of_work(db) as session:
        assert session.execute(select(func.count()).select_from(CalendarDay)).scalar_one() == 0
        assert session.execute(select(func.count()).select_from(CalendarYear)).scalar_one() == 0
        assert session.execute(select(func.count()).select_from(AuditEvent)).scalar_one() == events

    missing = run_hub("calendar", "import", str(tmp_path / "none.toml"))
    assert missing.exit_code == 1 and "cannot read" in missing.stderr
