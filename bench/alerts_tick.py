"""The alert tick against the size of the tables: does a tick over 1,000,000 tasks cost what its due rows cost?

Per size, a fresh database (bench/dataset.py: a SQLite file, or a PostgreSQL database made with CREATE
DATABASE and dropped after), migrated, with the bundled directory and the demo users, then requests and
tasks bulk-inserted: `--due` tasks overdue at INSTANT, 1% of the others open and due after it, the rest
closed. Then the
"overdue" job as of INSTANT, and "due-soon" as of SOON_AT (when the same rows fall due the next working
day): the derive step alone, a full run (derive, claim, compose, send to an SMTP server in this process
that drops what it gets), a second run (nothing new to send): the median of --repeat rounds, the job's
alerts and items deleted before each. And the peak Python memory of the derive and of a first run, in
rounds of their own (tracemalloc slows what it watches; it sees neither SQLite's page cache nor libpq's).

Target (the issue): at 1,000,000 tasks within 3 times the cost at 10,000, with the same number due.

Run: .venv/bin/python -m bench.alerts_tick [--sizes 10000,1000000] [--due 10000] [--database-url URL]
     [--repeat 3] [--explain] [--index "CREATE INDEX ..."]
"""

import argparse
import os
import platform
import socket
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import delete, event

from bench.dataset import INSTANT, SOON_AT, database, generate, seeded, server_version
from hub.alerts.jobs import JOBS, Context
from hub.alerts.service import run_job
from hub.calendar.service import load_calendar
from hub.context import Hub
from hub.db import unit_of_work
from hub.models import Alert, AlertItem

console = Console(width=max(Console().width, 170))
JOB_INSTANTS = (("overdue", INSTANT), ("due-soon", SOON_AT))


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


def tick(hub: Hub, *, repeat: int, plan: bool = False) -> dict:
    """Both jobs measured over the data already loaded: {"overdue": measure(...), "due-soon": ...}."""
    sql = Statements(hub.engine)
    return {job: measure(hub, sql, job, at, repeat=repeat, plan=plan) for job, at in JOB_INSTANTS}


def bench_size(args, sink: Sink, size: int, *, quiet: bool = False) -> dict:
    with database(args.database_url, str(size)) as url, tempfile.TemporaryDirectory() as data_dir:
        hub = seeded(url, Path(data_dir), smtp_host="127.0.0.1", smtp_port=sink.port)
        try:
            due = min(args.due, size)
            open_tasks, generate_s = generate(hub, tasks=size, due=due, console=console, quiet=quiet)
            for statement in args.index:
                with hub.engine.begin() as conn:
                    conn.exec_driver_sql(statement)
            result = {
                "tasks": size,
                "open": open_tasks,
                "generate": generate_s,
                "version": server_version(hub),
            }
            return result | tick(hub, repeat=args.repeat, plan=args.explain)
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
