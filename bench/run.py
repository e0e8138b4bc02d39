"""`make bench`: every figure of issue 7 measured and printed in one table, each against its target.

1-3  the exchange over HTTP on SQLite, one `hub serve` process, against the floor (bench/exchange.py);
4    the alert tick at 10,000 and 1,000,000 tasks, 10,000 due at both (bench/alerts_tick.py);
5    the supervisor's statistics at 1,000,000 tasks (bench/supervision.py), on the same database as 4;
6    1-3 on PostgreSQL with one and with two server processes, when a PostgreSQL answers.

Run: .venv/bin/python -m bench.run [--quick] [--postgres URL | --no-postgres] [--results FILE]
The full run writes its table to bench/RESULTS.md; --quick (100,000 tasks, shorter loads) prints only.
"""

import argparse
import os
import platform
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import psycopg
from rich.console import Console

from bench.alerts_tick import Sink, tick
from bench.dataset import INSTANT, database, generate, seeded
from bench.exchange import Load, exchange
from bench.supervision import PERIODS, figures_timed
from bench.table import caption, markdown, render, rows

DEFAULT_PG = os.environ.get("HUB_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
RESULTS = Path(__file__).with_name("RESULTS.md")
console = Console(width=max(Console().width, 180))


@dataclass(frozen=True)
class Config:
    small: int = 10_000  # tasks: the tick's reference size
    large: int = 1_000_000  # tasks: the tick's and the supervision's
    due: int = 10_000  # tasks due at the tick, at both sizes: 1% of `large`
    repeat: int = 3  # rounds per tick and supervision measurement (the median is shown)
    load: Load = field(default_factory=Load)
    postgres: str | None = None  # an admin URL to create PostgreSQL databases from; None: SQLite only
    processes: tuple[int, ...] = (1, 2)  # server processes on PostgreSQL
    warm: bool = True  # a tick over 200 tasks first, unmeasured (imports, calendars)


FULL = Config()
QUICK = Config(large=100_000, due=1_000, repeat=1, load=Load(calls=500, fanout=60, warmup=20))
# the smoke test's (tests/bench): everything runs, nothing is measured with care
TINY = Config(
    small=200,
    large=1_000,
    due=5,
    repeat=1,
    warm=False,
    load=Load(calls=100, fanout=5, concurrency=4, warmup=5),
)


# --- the machine ---------------------------------------------------------------------------------------


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return 0.0


def postgres_version(url: str | None) -> str | None:
    """The server's version if a PostgreSQL answers at `url`, else None."""
    if not url:
        return None
    try:
        with psycopg.connect(
            url.replace("postgresql+psycopg://", "postgresql://"), connect_timeout=3
        ) as conn:
            return str(conn.execute("SHOW server_version").fetchone()[0])
    except psycopg.Error:
        return None


def machine(pg: str | None) -> dict[str, str]:
    load = os.getloadavg()
    return {
        "cpu": f"{_cpu_model()}, {os.cpu_count()} cores",
        "ram": f"{_ram_gib():.0f} GiB RAM",
        "os": platform.platform(terse=True),
        "python": f"Python {platform.python_version()}",
        "sqlite": f"SQLite {sqlite3.sqlite_version}",
        "postgres": f"PostgreSQL {pg}" if pg else "PostgreSQL: not run",
        "load": "load average at start {:.2f} / {:.2f} / {:.2f} (1 / 5 / 15 min)".format(*load),
    }


# --- measuring -----------------------------------------------------------------------------------------


def measure(config: Config, workdir: Path, say=lambda text: None) -> dict:
    """Every measurement of the module docstring; the raw results, for rows()."""
    results: dict = {"config": config, "exchange": {}}
    say("SQLite, 1 process: the exchange over HTTP")
    results["exchange"][("sqlite", 1)] = exchange(
        admin_url=None, processes=1, load=config.load, workdir=workdir, status=say
    )
    results["tick"], results["supervision"] = ticks_and_supervision(config, say)
    if config.postgres:
        for processes in config.processes:
            say(f"PostgreSQL, {processes} process(es): the exchange over HTTP")
            results["exchange"][("postgres", processes)] = exchange(
                admin_url=config.postgres, processes=processes, load=config.load, workdir=workdir, status=say
            )
    return results


def ticks_and_supervision(config: Config, say) -> tuple[dict, dict]:
    """The alert tick at config.small and config.large tasks (config.due due at both), and the
    supervisor's figures at config.large, on SQLite."""
    sink = Sink()
    sink.controller.start()
    ticks, supervision = {}, {}
    try:
        sizes = [(200, True)] if config.warm else []  # imports and calendars, paid once: not measured
        for size, warm in [*sizes, (config.small, False), (config.large, False)]:
            with database(None, str(size)) as url, tempfile.TemporaryDirectory() as data_dir:
                hub = seeded(url, Path(data_dir), smtp_host="127.0.0.1", smtp_port=sink.port)
                try:
                    due = min(100 if warm else config.due, size)
                    say(f"{size:,} tasks: bulk insert")
                    _, generated = generate(hub, tasks=size, due=due, console=console, quiet=warm)
                    say(f"{size:,} tasks: the alert tick")
                    measured = tick(hub, repeat=1 if warm else config.repeat)
                    if warm:
                        continue
                    ticks[size] = measured | {"generate": generated, "due": due}
                    if size == config.large:
                        say(f"{size:,} tasks: the supervisor's figures")
                        for name, (first_day, last_day) in PERIODS.items():
                            supervision[name] = figures_timed(
                                hub, first_day=first_day, last_day=last_day, at=INSTANT, repeat=config.repeat
                            )
                finally:
                    hub.engine.dispose()
    finally:
        sink.controller.stop()
    return ticks, supervision


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="100,000 tasks and shorter loads (~3 min), printed only"
    )
    parser.add_argument(
        "--postgres", default=DEFAULT_PG, help="admin URL for PostgreSQL (default: %(default)s)"
    )
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--results", type=Path, help=f"write the table there (full run: {RESULTS})")
    args = parser.parse_args()
    started = time.perf_counter()
    config = QUICK if args.quick else FULL
    pg = None if args.no_postgres else postgres_version(args.postgres)
    config = replace(config, postgres=args.postgres if pg else None)
    facts = machine(pg)
    if not args.no_postgres and not pg:
        console.print(f"[yellow]PostgreSQL does not answer at {args.postgres}: figure 6 is not run[/yellow]")
    with tempfile.TemporaryDirectory(prefix="hub-bench-") as workdir, console.status("") as status:
        results = measure(config, Path(workdir), say=lambda text: status.update(text))
    table_rows = rows(results)
    facts["load"] += f" · at the end {os.getloadavg()[0]:.2f}"
    text = caption(results, time.perf_counter() - started)
    table = render(table_rows, facts, text)
    console.print(table)
    target = args.results or (None if args.quick else RESULTS)
    if target:
        options = " ".join(sys.argv[1:])
        command = f"make bench BENCH_ARGS='{options}'" if options else "make bench"
        target.write_text(markdown(table_rows, facts, command, text), encoding="utf-8")
        console.print(f"written to {target}")


if __name__ == "__main__":
    main()
