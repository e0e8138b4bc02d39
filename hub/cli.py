"""The command line: `hub`."""

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from hub.alerts.cli import jobs_app
from hub.config import get_settings
from hub.context import Hub
from hub.controls.cli import controls_app
from hub.db import unit_of_work
from hub.evidence.cli import evidence_app
from hub.simulator.cli import simulate_unit

app = typer.Typer(
    help="Linkage Hub 执行联动协作平台",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="The database.", no_args_is_help=True)
units_app = typer.Typer(help="The member units.", no_args_is_help=True)
token_app = typer.Typer(help="Bearer tokens.", no_args_is_help=True)
calendar_app = typer.Typer(help="The working-day calendar.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit chain.", no_args_is_help=True)
for sub, name in (
    (db_app, "db"),
    (units_app, "units"),
    (token_app, "token"),
    (calendar_app, "calendar"),
    (audit_app, "audit"),
):
    app.add_typer(sub, name=name)

err = Console(stderr=True)


@contextmanager
def _hub() -> Iterator[Hub]:
    """The hub of the settings, its database connections closed when the command is done with it."""
    hub = Hub.from_settings(get_settings())
    try:
        yield hub
    finally:
        hub.engine.dispose()


def _sync_directory(hub: Hub) -> None:
    from hub.directory.loader import DirectoryError
    from hub.directory.service import configured_directory, sync_directory

    try:
        directory = configured_directory(hub.settings)
    except DirectoryError as exc:
        err.print(f"[red]The unit directory cannot be loaded:[/red]\n{exc}")
        raise typer.Exit(1) from None
    with unit_of_work(hub.sessions) as session:
        sync_directory(session, directory=directory)


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    with_worker: Annotated[
        bool, typer.Option("--worker/--no-worker", help="Run the delivery worker in this process too.")
    ] = True,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="API processes sharing HOST:PORT (PostgreSQL only). The delivery worker, unless "
            "--no-worker, runs once, in the process that starts them.",
        ),
    ] = 1,
) -> None:
    """Serve the API and the web pages on HOST:PORT, with the delivery worker unless --no-worker."""
    import uvicorn

    from hub.app import create_app
    from hub.delivery.worker import Worker
    from hub.ops import logs

    settings = get_settings()
    logs.configure(json_lines=settings.log_json)
    settings.check_secret()
    if workers > 1 and not settings.database_url.startswith("postgresql"):
        raise typer.BadParameter(
            f"{workers} processes need PostgreSQL (HUB_DATABASE_URL=postgresql+psycopg://...): SQLite takes "
            "one writer at a time, and a second process would only wait for it.",
            param_hint="--workers",
        )
    hub = Hub.from_settings(settings)
    _sync_directory(hub)
    background = Worker(hub)
    if with_worker:
        background.start()
    # log_config=None: uvicorn's loggers, its access log included, go through the handler set above
    options = {"host": host, "port": port, "log_level": "info", "log_config": None, **proxy_options(settings)}
    try:
        if workers == 1:
            uvicorn.run(create_app(settings, hub), **options)
        else:  # each process builds its own app; a task they queue is served at the worker's next tick
            uvicorn.run("hub.app:served_app", factory=True, workers=workers, **options)
    finally:
        background.stop()


def proxy_options(settings) -> dict[str, object]:
    """uvicorn takes a client's address from X-Forwarded-For only from HUB_TRUSTED_PROXIES: by default from
    nobody (uvicorn's own default trusts any client on 127.0.0.1, and with it the sign-in's lockout by
    address would count whatever address such a client names)."""
    trusted = settings.trusted_proxies.strip()
    return {"proxy_headers": bool(trusted), "forwarded_allow_ips": trusted or None}


@app.command()
def worker() -> None:
    """Serve tasks through their channels, take in folder receipts, send notices; until stopped.

    Any number of workers (and `hub serve` processes) may run over one database.
    """
    import contextlib
    import logging
    import signal

    from apscheduler.schedulers.blocking import BlockingScheduler

    from hub.delivery.worker import Worker
    from hub.ops import logs

    settings = get_settings()
    logs.configure(json_lines=settings.log_json)
    hub = Hub.from_settings(settings)
    _sync_directory(hub)
    scheduler = BlockingScheduler(timezone="Asia/Shanghai")
    signal.signal(signal.SIGTERM, lambda *_: scheduler.shutdown(wait=False))
    logging.getLogger("hub.worker").info("worker ticking every %g s (Ctrl-C to stop)", settings.tick_s)
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        Worker(hub).start(scheduler)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the database schema up to date (Alembic migrations)."""
    from hub.migrations import upgrade

    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database_url)
    err.print("database is up to date")


@app.command()
def seed(
    demo: Annotated[
        bool, typer.Option("--demo", help="Create the demo accounts (password demo12345).")
    ] = False,
    if_empty: Annotated[bool, typer.Option("--if-empty", help="Only when there are no users yet.")] = False,
) -> None:
    """Load the unit directory; with --demo, create the demo accounts that are missing."""
    from hub.auth.seed import DEMO_PASSWORD, has_users, seed_demo

    with _hub() as hub:
        _sync_directory(hub)
        if not demo:
            return
        with unit_of_work(hub.sessions) as session:
            if if_empty and has_users(session):
                err.print("users exist already: demo accounts left as they are")
                return
            created = seed_demo(session)
    err.print(
        f"demo accounts created: {len(created)} (password {DEMO_PASSWORD}; for trying the hub out only)"
    )


@units_app.command("list")
def units_list(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """The member units as loaded: code, name, channel, actions."""
    from hub.directory.service import configured_directory

    directory = configured_directory(get_settings())
    if as_json:
        typer.echo(
            json.dumps([u.model_dump(mode="json") for u in directory.units], ensure_ascii=False, indent=2)
        )
        return
    rows = [
        (unit.code, unit.name, " → ".join(c.kind for c in unit.channels), " ".join(unit.actions))
        for unit in directory.units
    ]
    if not sys.stdout.isatty():  # piped: whole lines, tab-separated, never cut to a width
        for row in rows:
            typer.echo("\t".join(row))
        return
    table = Table("code", "name", "channel", "actions")
    for row in rows:
        table.add_row(*row)
    Console().print(table)


@units_app.command("check")
def units_check(file: Path) -> None:
    """Check a directory file without starting anything: exit 0 when valid, 1 naming each broken entry."""
    from hub.directory.loader import DirectoryError, load_directory

    try:
        directory = load_directory(file)
    except DirectoryError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{file}: {len(directory.courts)} court(s), {len(directory.units)} unit(s), valid")


@token_app.command("issue")
def token_issue(username: str, label: str = "cli") -> None:
    """Print a new bearer token for USERNAME on stdout, nothing else; recorded in the audit log as the
    administrator's page records it, and refused, as there, to an inactive or a unit's system account."""
    from hub.auth.service import grant_token, user_by_name
    from hub.errors import Conflict

    with _hub() as hub, unit_of_work(hub.sessions) as session:
        user = user_by_name(session, username)
        if user is None:
            err.print(f"no user {username!r} (hub seed --demo creates the demo accounts)")
            raise typer.Exit(1)
        try:
            token = grant_token(session, user_id=user.id, label=label, actor="cli")
        except Conflict as exc:
            err.print(str(exc))
            raise typer.Exit(1) from None
    typer.echo(token)


@app.command()
def validate(file: Path) -> None:
    """Check a request or receipt against the standard: exit 0 when valid, 1 with one line per problem."""
    from hub.standard.rules import inspect
    from hub.standard.xml import DocumentError

    try:
        data = file.read_bytes()
    except OSError as exc:
        typer.echo(f"0:0 / cannot read {file}: {exc.strerror}")
        raise typer.Exit(1) from None
    settings = get_settings()
    try:
        inspected = inspect(
            data, max_bytes=settings.max_document_bytes, fund_account_years=settings.fund_account_period_years
        )
    except DocumentError as exc:
        for problem in exc.problems:
            typer.echo(str(problem))
        raise typer.Exit(1) from None
    err.print(
        f"{file}: a valid {'AssistanceRequest' if inspected.kind == 'request' else 'AssistanceReceipt'}"
    )


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        typer.echo(f"not a date: {text!r} (use YYYY-MM-DD)", err=True)
        raise typer.Exit(2) from None


@calendar_app.command("due")
def calendar_due(
    served: Annotated[str, typer.Argument(help="The day of service, YYYY-MM-DD.")],
    days: Annotated[int, typer.Argument(help="The time limit in working days.", min=1)],
) -> None:
    """When a task served on SERVED with a limit of DAYS working days is due (+ ' provisional' if by rule)."""
    from hub.calendar.service import load_calendar
    from hub.calendar.workdays import SHANGHAI

    day = _day(served)
    with _hub() as hub, unit_of_work(hub.sessions) as session:
        calendar = load_calendar(session)
    due = calendar.due(datetime.combine(day, time(12), tzinfo=SHANGHAI).astimezone(UTC), days)
    typer.echo(due.at.isoformat() + (" provisional" if due.provisional else ""))


@calendar_app.command("set")
def calendar_set(
    day: Annotated[str, typer.Argument(help="The day, YYYY-MM-DD.")],
    kind: Annotated[str, typer.Argument(help="working (an adjusted working day) or off (a day off).")],
    note: Annotated[str, typer.Option(help="Why, e.g. the State Council notice.")] = "",
) -> None:
    """Add to the administrator's override table: DAY is a working day or a day off, whatever the data says."""
    from hub.audit import record
    from hub.models import CalendarDay

    if kind not in ("working", "off"):
        typer.echo(f"KIND must be working or off, not {kind!r}", err=True)
        raise typer.Exit(2)
    when = _day(day)
    with _hub() as hub, unit_of_work(hub.sessions) as session:
        row = session.get(CalendarDay, when) or CalendarDay(day=when)
        row.working, row.note = kind == "working", note
        session.add(row)
        record(
            session,
            actor="cli",
            kind="calendar.set",
            entity="calendar",
            entity_id=day,
            data={"working": row.working, "note": note},
        )
    typer.echo(f"{day}: {'working day' if row.working else 'day off'}")


def _minute(at: datetime | None) -> str:
    from hub.calendar.workdays import SHANGHAI

    return at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if at else "none"


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


@calendar_app.command("import")
def calendar_import(
    file: Annotated[Path, typer.Argument(help="The year's notice, TOML (docs/calendar-2027.example.toml).")],
) -> None:
    """Load a year's official calendar from FILE and list the open tasks whose due date moves.

    The notice replaces that year's overrides (listed if any) and the year is no longer provisional.
    A bad file: exit 1 naming each broken entry, nothing written.
    """
    from hub.calendar.importer import NoticeError, import_year, load_notice

    try:
        notice = load_notice(file)
    except NoticeError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    with _hub() as hub, unit_of_work(hub.sessions) as session:
        result = import_year(session, notice=notice, actor="cli")
    if not result.changed:
        typer.echo(
            f"{result.year}: the same calendar is loaded already ({result.days} days from "
            f"{result.source}); nothing changed"
        )
        return
    moved = _plural(len(result.tasks), "open task has", "open tasks have")
    typer.echo(
        f"{result.year}: {result.days} days loaded from {result.source}; {moved} a new due date"
        + (":" if result.tasks else "")
    )
    for task in result.tasks:
        typer.echo(
            f"task {task.task_id} {task.unit_code} {task.request_no}: "
            f"{_minute(task.old_due)} → {_minute(task.new_due)}"
            + (" (still provisional)" if task.provisional else "")
        )
    if result.confirmed:
        kept = _plural(len(result.confirmed), "other open task keeps its", "other open tasks keep their")
        typer.echo(f"{kept} due date, no longer provisional")
    if result.replaced:
        typer.echo(f"replaced earlier overrides of {result.year} (hub calendar set puts one back):")
        for day in result.replaced:
            typer.echo(f"  {day.day} {'working' if day.working else 'off'} {day.note}".rstrip())


@calendar_app.command("show")
def calendar_show(
    year: Annotated[int, typer.Argument(help="The year, e.g. 2027.", min=2000, max=2100)],
) -> None:
    """Where YEAR's calendar comes from, then its special days: date, weekday, off or working, note."""
    from hub.calendar.service import show_year
    from hub.calendar.workdays import SHANGHAI

    with _hub() as hub, unit_of_work(hub.sessions) as session:
        view = show_year(session, year=year)
    if view.status == "imported":
        assert view.imported_at is not None
        imported = view.imported_at.astimezone(SHANGHAI).date()
        typer.echo(f"{year}: official, imported {imported} from {view.source}")
    elif view.status == "built-in":
        typer.echo(f"{year}: official, from chinese-calendar (built in)")
    else:
        typer.echo(
            f"{year}: provisional, by rule (weekdays minus the statutory holidays, no adjusted working "
            "weekends); due dates counted over it are provisional until hub calendar import FILE"
        )
    rows = [(d.day.isoformat(), d.weekday_zh, "working" if d.working else "off", d.note) for d in view.days]
    if not sys.stdout.isatty():  # piped: whole lines, tab-separated, never cut to a width
        for row in rows:
            typer.echo("\t".join(row))
        return
    table = Table("date", "weekday", "day", "note")
    for row in rows:
        table.add_row(*row)
    Console().print(table)


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the audit chain: exit 0 when intact, 1 naming the first broken event."""
    from hub.audit import verify

    with _hub() as hub, unit_of_work(hub.sessions) as session:
        verdict = verify(session)
    if verdict.ok:
        typer.echo(f"audit chain intact: {verdict.events} events")
        return
    typer.echo(f"audit chain broken at event {verdict.broken_seq}: {verdict.reason}")
    sys.exit(1)


app.command("simulate-unit")(simulate_unit)
app.add_typer(jobs_app, name="jobs")
app.add_typer(evidence_app, name="evidence")
app.add_typer(controls_app, name="controls")
