"""The alert tick against the size of the tables: does a tick over 1,000,000 tasks cost what its due rows cost?

Per size, a fresh database (a SQLite file, or a PostgreSQL database made with CREATE DATABASE and dropped
after), migrated, with the bundled directory and the demo users, then requests and tasks bulk-inserted:
`--due` tasks overdue at INSTANT, 1% of the others open and due after it, the rest closed. Then the
"overdue" job as of INSTANT, and "due-soon" as of SOON_AT (when the same rows fall due the next working
day): the derive step alone, a full run (derive, claim, compose, send to an SMTP server in this process
that drops what it gets), a second run (nothing new to send): the median of --repeat rounds, the job's
alerts and items deleted before each. And the peak Python memory of the derive and of a first run, in
rounds of their own (tracemalloc slows what it watches; it sees neither SQLite's page cache nor libpq's).

Target (the issue): at 1,000,000 tasks within 3 times the cost at 10,000, with the same number due.

Run: .venv/bin/python bench/alerts_tick.py [--sizes 10000,1000000] [--due 10000] [--database-url URL]
     [--repeat 3] [--explain] [--index "CREATE INDEX ..."]
"""

import argparse
import os
import platform
import random
import socket
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from datetime import time as clock
from functools import cache
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import create_engine, delete, event, insert, make_url, select, text

from hub.alerts.jobs import JOBS, Context
from hub.alerts.service import run_job
from hub.auth.seed import seed_demo
from hub.calendar.service import load_calendar
from hub.calendar.workdays import WorkCalendar
from hub.clock import SHANGHAI
from hub.config import Settings
from hub.context import Hub
from hub.db import unit_of_work
from hub.directory.loader import BUNDLED_DIRECTORY, load_directory
from hub.directory.service import sync_directory
from hub.migrations import upgrade
from hub.models import Alert, AlertItem, Blob, Court, Request, Task, Unit, User

INSTANT = datetime(2026, 12, 2, 10, 0, tzinfo=SHANGHAI)  # a Wednesday morning: the overdue tick
SOON_AT = datetime(2026, 11, 30, 10, 0, tzinfo=SHANGHAI)  # the Monday before: the due-soon tick
SERVED_DAYS = (date(2026, 11, 24), date(2026, 11, 25), date(2026, 11, 26))  # the open tasks'
DUE_DAYS = (date(2026, 11, 30), date(2026, 12, 1))  # the overdue tasks' (both due soon at SOON_AT)
HISTORY = (datetime(2024, 11, 1, tzinfo=SHANGHAI), datetime(2026, 11, 20, tzinfo=SHANGHAI))
OPEN_SHARE = 0.01  # of the tasks that are not due: open, due after INSTANT
CHUNK = 10_000
EMPTY = {"due_provisional": False, "acknowledged_at": None, "closed_at": None, "outcome": None}
CALENDAR = WorkCalendar()
console = Console(width=max(Console().width, 170))


@cache
def due_after(day: date, limit_days: int) -> datetime:
    return CALENDAR.due(datetime.combine(day, clock(12), tzinfo=SHANGHAI), limit_days).at


@cache
def limit_between(served: date, due: date) -> int:
    return next(n for n in range(1, 30) if CALENDAR.add_working_days(served, n)[0] == due)


class Sink:
    """An SMTP server (aiosmtpd) on 127.0.0.1 that accepts every message and keeps none."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.received = 0
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port, data_size_limit=None)

    async def handle_DATA(self, server, session, envelope) -> str:
        self.received += 1
        return "250 OK"


def generate(hub: Hub, *, tasks: int, due: int, quiet: bool = False, seed: int = 2426) -> tuple[int, float]:
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


class Statements:
    """The SELECT statements the engine runs while `watching`, with their parameters."""

    def __init__(self, engine) -> None:
        self.seen: list[tuple[str, object]] = []
        self.watching = False
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if self.watching and statement.lstrip().upper().startswith("SELECT"):
            self.seen.append((statement, parameters))

    @contextmanager
    def watch(self) -> Iterator[list]:
        self.seen, self.watching = [], True
        try:
            yield self.seen
        finally:
            self.watching = False


def timed(call: Callable) -> tuple[object, float]:
    started = time.perf_counter()
    result = call()
    return result, time.perf_counter() - started


def traced(call: Callable) -> float:
    """The peak of Python allocations during `call`, in MiB."""
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def derive(hub: Hub, job: str, at: datetime) -> list:
    with hub.sessions() as session:
        ctx = Context(at=at, settings=hub.settings, calendar=load_calendar(session))
        return JOBS[job].derive(session, ctx)


def fetched(hub: Hub, statement: str, parameters) -> float:
    """Seconds to run one statement and fetch all its rows, without the ORM (SQLite steps while fetching)."""
    with hub.engine.connect() as conn:
        started = time.perf_counter()
        conn.exec_driver_sql(statement, parameters).all()
        return time.perf_counter() - started


def forget(hub: Hub, job: str) -> None:
    """Empty the ledger of `job`, so that its next run is a first run again."""
    with unit_of_work(hub.sessions) as session:
        session.execute(delete(AlertItem).where(AlertItem.kind.in_(JOBS[job].kinds)))
        session.execute(delete(Alert).where(Alert.job == job))


def measure(hub: Hub, sql: Statements, job: str, at: datetime, *, repeat: int, plan: bool) -> dict:
    """Peaks once, then the median of `repeat` rounds of: derive alone, first run, second run."""
    forget(hub, job)
    derive_peak = traced(lambda: derive(hub, job, at))
    run_peak = traced(lambda: run_job(hub, job, at=at))
    rounds = []
    for _ in range(repeat):
        forget(hub, job)
        with sql.watch() as derived:
            owed, derive_s = timed(lambda: derive(hub, job, at))
        query = max((fetched(hub, statement, params), statement, params) for statement, params in derived)
        if plan and not rounds:
            console.print(f"[bold]{job}[/bold]: the derive's slowest query, {query[0]:.3f} s")
            console.print(query[1], markup=False)
            console.print(explain(hub, query[1], query[2]), markup=False)
        first, run_s = timed(lambda: run_job(hub, job, at=at))
        second, again_s = timed(lambda: run_job(hub, job, at=at))
        rounds.append((derive_s, query[0], run_s, again_s))
    derive_s, query_s, run_s, again_s = (statistics.median(column) for column in zip(*rounds, strict=True))
    return {
        "owed": len({o.entity_id for o in owed}),
        "derive": derive_s,
        "query": query_s,
        "run": run_s,
        "sent": first.sent,
        "again": again_s,
        "again_sent": second.sent,
        "derive_peak": derive_peak,
        "run_peak": run_peak,
    }


def explain(hub: Hub, statement: str, parameters) -> str:
    if hub.engine.dialect.name == "sqlite":
        with hub.engine.connect() as conn:
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
        return "\n".join(f"{row[0]:>3} {row[1]:>3}  {row[3]}" for row in rows)
    with hub.engine.connect() as conn:
        rows = conn.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", parameters).all()
    return "\n".join(row[0] for row in rows)


@contextmanager
def database(admin_url: str | None, size: int) -> Iterator[str]:
    """A fresh, empty database for one size: a SQLite file in a temporary directory, or a PostgreSQL one."""
    if not admin_url:
        with tempfile.TemporaryDirectory(prefix="hub-bench-") as tmp:
            yield f"sqlite:///{Path(tmp) / 'hub.db'}"
        return
    name = f"hub_bench_{os.getpid()}_{size}"
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


def bench_size(args, sink: Sink, size: int, *, quiet: bool = False) -> dict:
    with database(args.database_url, size) as url, tempfile.TemporaryDirectory() as data_dir:
        upgrade(url)
        settings = Settings(
            database_url=url, data_dir=Path(data_dir), demo=True, smtp_host="127.0.0.1", smtp_port=sink.port
        )
        hub = Hub.from_settings(settings)
        try:
            with unit_of_work(hub.sessions) as session:
                sync_directory(session, directory=load_directory(BUNDLED_DIRECTORY))
                seed_demo(session)
            open_tasks, generate_s = generate(hub, tasks=size, due=min(args.due, size), quiet=quiet)
            for statement in args.index:
                with hub.engine.begin() as conn:
                    conn.exec_driver_sql(statement)
            with hub.engine.connect() as conn:
                version = conn.exec_driver_sql(
                    "SELECT sqlite_version()" if url.startswith("sqlite") else "SHOW server_version"
                ).scalar_one()
            sql = Statements(hub.engine)
            result = {"tasks": size, "open": open_tasks, "generate": generate_s, "version": version}
            for job, at in (("overdue", INSTANT), ("due-soon", SOON_AT)):
                result[job] = measure(hub, sql, job, at, repeat=args.repeat, plan=args.explain)
            return result
        finally:
            hub.engine.dispose()


def report(results: list[dict], args, sink: Sink) -> None:
    kind = "PostgreSQL" if args.database_url else "SQLite"
    machine = (
        f"{platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"{kind} {results[0]['version']}, due {args.due:,}, median of {args.repeat}"
        + (f", extra index: {'; '.join(args.index)}" if args.index else "")
    )
    table = Table(title="Alert tick against the size of the tables", caption=machine)
    for name in ("tasks", "open", "job", "owed", "generate s", "derive s", "query s", "run 1 s"):
        table.add_column(name, justify="right")
    for name in ("e-mails 1/2", "run 2 s", "peak derive MiB", "peak run MiB"):
        table.add_column(name, justify="right")
    measured = ("derive", "query", "run", "again", "derive_peak", "run_peak")
    for r in results:
        for job in ("overdue", "due-soon"):
            m = r[job]
            numbers = [f"{m[k]:.3f}" for k in measured[:4]] + [f"{m[k]:.1f}" for k in measured[4:]]
            numbers.insert(3, f"{m['sent']} / {m['again_sent']}")
            generated = f"{r['generate']:.1f}" if job == "overdue" else ""
            table.add_row(f"{r['tasks']:,}", f"{r['open']:,}", job, f"{m['owed']:,}", generated, *numbers)
    small, large = results[0], results[-1]
    if len(results) > 1:
        table.add_section()
        for job in ("overdue", "due-soon"):
            ratios = [large[job][k] / small[job][k] for k in measured]
            met = "met" if max(ratios[:4]) <= 3 else "NOT met"
            numbers = [f"{ratio:.2f}×" for ratio in ratios]
            numbers.insert(3, f"target ≤ 3: {met}")
            table.add_row(f"{large['tasks'] // small['tasks']:,}×", "", job, "", "", *numbers)
    console.print(table)
    console.print(f"The SMTP sink took {sink.received} messages (with the warm-up's).")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,1000000", help="task counts, comma-separated")
    parser.add_argument("--due", type=int, default=10_000, help="tasks overdue at the tick")
    parser.add_argument("--database-url", help="a PostgreSQL URL to create the databases from")
    parser.add_argument("--repeat", type=int, default=3, help="rounds per measurement (the median is shown)")
    parser.add_argument("--explain", action="store_true", help="the plan of each derive's slowest query")
    parser.add_argument("--index", action="append", default=[], help="SQL run after the data is loaded")
    args = parser.parse_args()
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",")]
    sink = Sink()
    sink.controller.start()
    try:
        with console.status("warming up (imports, calendars: paid once per process, not per size)"):
            bench_size(
                argparse.Namespace(**{**vars(args), "due": 100, "explain": False, "repeat": 1}),
                sink,
                200,
                quiet=True,
            )
        results = [bench_size(args, sink, size) for size in sizes]
    finally:
        sink.controller.stop()
    report(results, args, sink)


if __name__ == "__main__":
    main()
