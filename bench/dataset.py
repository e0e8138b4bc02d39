"""Fresh databases for the benchmarks, and a large history of tasks bulk-inserted into one (not the API).

A database is a SQLite file in a temporary directory or, given an admin URL, a PostgreSQL database made
with CREATE DATABASE and dropped after. `seeded` migrates it and loads the bundled directory and the demo
users; `generate` then inserts requests and tasks with SQLAlchemy Core executemany, in chunks, with a
progress bar: `due` tasks overdue at INSTANT, 1% of the others open and due after it, the rest closed
over the two years before.
"""

import os
import random
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from datetime import time as clock
from functools import cache
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import create_engine, insert, make_url, select, text

from hub.auth.seed import seed_demo
from hub.calendar.workdays import WorkCalendar
from hub.clock import SHANGHAI
from hub.config import Settings
from hub.context import Hub
from hub.db import unit_of_work
from hub.directory.loader import BUNDLED_DIRECTORY, load_directory
from hub.directory.service import sync_directory
from hub.migrations import upgrade
from hub.models import Blob, Court, Request, Task, Unit, User

INSTANT = datetime(2026, 12, 2, 10, 0, tzinfo=SHANGHAI)  # a Wednesday morning: the overdue tick
SOON_AT = datetime(2026, 11, 30, 10, 0, tzinfo=SHANGHAI)  # the Monday before: the due-soon tick
SERVED_DAYS = (date(2026, 11, 24), date(2026, 11, 25), date(2026, 11, 26))  # the open tasks'
DUE_DAYS = (date(2026, 11, 30), date(2026, 12, 1))  # the overdue tasks' (both due soon at SOON_AT)
HISTORY = (datetime(2024, 11, 1, tzinfo=SHANGHAI), datetime(2026, 11, 20, tzinfo=SHANGHAI))
OPEN_SHARE = 0.01  # of the tasks that are not due: open, due after INSTANT
CHUNK = 10_000
EMPTY = {"due_provisional": False, "acknowledged_at": None, "closed_at": None, "outcome": None}
CALENDAR = WorkCalendar()


@cache
def due_after(day: date, limit_days: int) -> datetime:
    return CALENDAR.due(datetime.combine(day, clock(12), tzinfo=SHANGHAI), limit_days).at


@cache
def limit_between(served: date, due: date) -> int:
    return next(n for n in range(1, 30) if CALENDAR.add_working_days(served, n)[0] == due)


@contextmanager
def database(admin_url: str | None, label: str) -> Iterator[str]:
    """A fresh, empty database: a SQLite file in a temporary directory, or a PostgreSQL one named after
    `label`, created from `admin_url` and dropped afterwards. Yields its URL."""
    if not admin_url:
        with tempfile.TemporaryDirectory(prefix="hub-bench-") as tmp:
            yield f"sqlite:///{Path(tmp) / 'hub.db'}"
        return
    name = f"hub_bench_{os.getpid()}_{label}"
    admin = create_engine(make_url(admin_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def seeded(url: str, data_dir: Path, **settings: object) -> Hub:
    """The hub over `url`, migrated, with the bundled directory and the demo users (demo mode)."""
    upgrade(url)
    hub = Hub.from_settings(Settings(database_url=url, data_dir=data_dir, demo=True, **settings))
    with unit_of_work(hub.sessions) as session:
        sync_directory(session, directory=load_directory(BUNDLED_DIRECTORY))
        seed_demo(session)
    return hub


def server_version(hub: Hub) -> str:
    with hub.engine.connect() as conn:
        sql = "SELECT sqlite_version()" if hub.engine.dialect.name == "sqlite" else "SHOW server_version"
        return str(conn.exec_driver_sql(sql).scalar_one())


def generate(
    hub: Hub, *, tasks: int, due: int, console: Console | None = None, quiet: bool = False, seed: int = 2426
) -> tuple[int, float]:
    """Bulk-insert requests and `tasks` tasks (one per unit per request); returns (open tasks, seconds)."""
    rng = random.Random(seed)
    started = time.perf_counter()
    with unit_of_work(hub.sessions) as session:
        units = list(session.execute(select(Unit.code).where(Unit.active.is_(True))).scalars())
        court = session.execute(select(Court.code)).scalars().first()
        officer = session.execute(select(User.id).where(User.username == "officer")).scalar_one()
        sha = "0" * 64
        session.add(Blob(sha256=sha, size=1024, created_at=HISTORY[0]))
    per_request = len(units)
    open_later = round((tasks - due) * OPEN_SHARE)
    history = tasks - due - open_later
    tail = ["due"] * due + ["later"] * open_later  # the newest tasks, still open
    random.Random(seed + 1).shuffle(tail)
    span = (HISTORY[1] - HISTORY[0]).total_seconds()
    requests_total = -(-tasks // per_request)
    batch = max(1, CHUNK // per_request)
    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    with Progress(*columns, console=console, disable=quiet) as progress:
        bar_requests = progress.add_task(f"{tasks:,} tasks: requests", total=requests_total)
        bar_tasks = progress.add_task(f"{tasks:,} tasks: tasks", total=tasks)
        for first in range(0, requests_total, batch):
            request_rows, task_rows = [], []
            for r in range(first, min(first + batch, requests_total)):
                i0 = r * per_request
                if i0 + per_request <= history:  # a request with an open task is a recent one
                    served = HISTORY[0] + timedelta(seconds=span * i0 / history + rng.uniform(0, 3600))
                else:
                    day = rng.choice(SERVED_DAYS)
                    served = datetime.combine(day, clock(9), tzinfo=SHANGHAI) + timedelta(
                        seconds=rng.uniform(0, 8 * 3600)
                    )
                still_open = False
                for i in range(i0, min(i0 + per_request, tasks)):
                    row = dict(request_id=r + 1, unit_code=units[i - i0], served_at=served, **EMPTY)
                    if i < history:
                        limit = rng.choice((1, 3, 3, 3, 5))
                        due_at = due_after(served.astimezone(SHANGHAI).date(), limit)
                        closed = served + (due_at - served) * rng.uniform(0.05, 1.1)  # ~9% late
                        closed = min(closed, SOON_AT - timedelta(minutes=1))
                        cancelled = rng.random() < 0.01
                        row |= {
                            "status": "cancelled" if cancelled else "completed",
                            "closed_at": closed,
                            "outcome": None if cancelled else rng.choice(("FOUND", "NOT_FOUND")),
                        }
                    else:
                        still_open = True
                        served_day = served.astimezone(SHANGHAI).date()
                        if tail[i - history] == "due":
                            limit = limit_between(served_day, rng.choice(DUE_DAYS))
                        else:
                            limit = rng.choice((6, 7, 8))
                        due_at = due_after(served_day, limit)
                        row["status"] = rng.choice(("served", "acknowledged"))
                    if row["status"] == "acknowledged" or (row["closed_at"] and rng.random() < 0.5):
                        row["acknowledged_at"] = served + timedelta(minutes=rng.randint(5, 600))
                    row |= {
                        "limit_days": limit,
                        "due_at": due_at,
                        "created_at": served - timedelta(seconds=30),
                    }
                    task_rows.append(row)
                request_rows.append(
                    {
                        "id": r + 1,
                        "court_code": court,
                        "request_no": f"（2026）吉2426执协{r + 1:07d}号",
                        "action": "QUERY",
                        "status": "open" if still_open else "done",
                        "case_no": f"（2026）吉2426执{rng.randint(1, 9999)}号",
                        "issued_at": served - timedelta(hours=2),
                        "received_at": served - timedelta(minutes=1),
                        "officer_name": "张三",
                        "officer_credential_no": "JL2426-0031",
                        "subject_kind": "person",
                        "subject_name": f"被执行人{r + 1}",
                        "subject_id_type": "RESIDENT_ID",
                        "subject_id_number": f"222426{rng.randint(10**11, 10**12 - 1)}",
                        "all_capable": True,
                        "submitted_by": officer,
                        "document_sha256": sha,
                    }
                )
            with hub.engine.begin() as conn:
                conn.execute(insert(Request), request_rows)
                conn.execute(insert(Task), task_rows)
            progress.advance(bar_requests, len(request_rows))
            progress.advance(bar_tasks, len(task_rows))
    if hub.engine.dialect.name == "postgresql":
        with hub.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(
                text("SELECT setval(pg_get_serial_sequence('requests', 'id'), max(id)) FROM requests")
            )
            conn.execute(text("VACUUM ANALYZE"))  # what autovacuum does to a table of this age
            conn.execute(text("CHECKPOINT"))  # so the load's writes do not slow the commits measured
    return due + open_later, time.perf_counter() - started
