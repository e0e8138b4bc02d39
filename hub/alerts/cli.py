"""`hub jobs`: the alert jobs, listed and run by hand (an operator catching up after downtime, or a test)."""

from datetime import datetime, time
from typing import Annotated

import typer

from hub.clock import SHANGHAI

jobs_app = typer.Typer(help="The alert jobs (the worker runs them all every minute).", no_args_is_help=True)


def _instant(text: str) -> datetime:
    """An instant as YYYY-MM-DD[THH:MM[:SS]][offset]; without an offset it is Asia/Shanghai time."""
    try:
        value = (
            datetime.fromisoformat(text)
            if "T" in text or " " in text
            else datetime.combine(datetime.fromisoformat(text).date(), time(0))
        )
    except ValueError:
        typer.echo(f"not an instant: {text!r} (use e.g. 2026-12-03T09:00, Asia/Shanghai time)", err=True)
        raise typer.Exit(2) from None
    return value if value.tzinfo else value.replace(tzinfo=SHANGHAI)


@jobs_app.command("list")
def jobs_list() -> None:
    """The jobs: name, what they send, to whom."""
    from hub.alerts.jobs import JOBS

    for job in JOBS.values():
        typer.echo(f"{job.name}\t{job.description}")


@jobs_app.command("run")
def jobs_run(
    name: Annotated[str, typer.Argument(help="A job from `hub jobs list`, or `all`.")],
    at: Annotated[
        str | None, typer.Option(help="Run as of this instant (Asia/Shanghai unless it has an offset).")
    ] = None,
) -> None:
    """Run one job now, as of --at: what it derived, and the e-mails the server took."""
    from hub.alerts.jobs import JOBS
    from hub.alerts.service import run_job
    from hub.config import get_settings
    from hub.context import Hub

    names = list(JOBS) if name == "all" else [name]
    if unknown := [n for n in names if n not in JOBS]:
        typer.echo(f"no job {unknown[0]!r}; the jobs are: {', '.join(JOBS)}", err=True)
        raise typer.Exit(2)
    hub = Hub.from_settings(get_settings())
    waiting = 0
    try:
        for job in names:
            run = run_job(hub, job, at=_instant(at) if at else None)
            waiting += run.waiting
            typer.echo(
                f"{job}: {run.derived} new, {run.sent} e-mail(s) sent, {run.refused} refused, "
                f"{run.waiting} recipient(s) waiting for the mail server"
            )
    finally:
        hub.engine.dispose()
    if waiting:
        raise typer.Exit(1)
