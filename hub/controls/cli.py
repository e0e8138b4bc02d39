"""`hub controls import`: controls made before the hub, imported from a CSV file (hub/controls/imports.py)."""

from pathlib import Path
from typing import Annotated

import typer

controls_app = typer.Typer(help="Controls: seals, seizures and freezes.", no_args_is_help=True)


@controls_app.command("import")
def controls_import(
    file: Annotated[
        Path, typer.Argument(help="The CSV file, with the template's header (hub/controls/import_file.py).")
    ],
    court: Annotated[str, typer.Option(help="The court whose controls they are, e.g. J2426.")],
    officer: Annotated[
        str, typer.Option(help="The officer who imports them: the officer of each row that names none.")
    ],
    check: Annotated[
        bool, typer.Option("--check", help="Check the file and say what it would import; write nothing.")
    ] = False,
) -> None:
    """Import the controls of FILE for COURT, as OFFICER: each is then watched for expiry, and renewed and
    released through the hub like any other. A row already in the hub (the same unit, registration number
    and asset) is skipped, so the same file imported again makes nothing new.

    Exit 0 when imported (or, with --check, importable); 1 when the file has problems, each named by line
    and column (nothing is written); 2 when the court or the officer is wrong.
    """
    from hub.config import get_settings
    from hub.context import Hub
    from hub.controls.import_file import MAX_IMPORT_BYTES

    try:
        size = file.stat().st_size
    except OSError as exc:
        typer.echo(f"{file}: {exc.strerror or exc}", err=True)
        raise typer.Exit(2) from None
    if size > MAX_IMPORT_BYTES:
        typer.echo(f"{file} has {size:,} bytes, more than {MAX_IMPORT_BYTES:,}: split it", err=True)
        raise typer.Exit(1)
    with file.open("rb") as opened:
        data = opened.read(MAX_IMPORT_BYTES + 1)
    hub = Hub.from_settings(get_settings())
    try:
        _import(hub, data=data, file=file, court=court, officer=officer, check=check)
    finally:
        hub.engine.dispose()  # the command's connections closed when it is done


def _import(hub, *, data: bytes, file: Path, court: str, officer: str, check: bool) -> None:
    from hub.auth.service import principal, user_by_name
    from hub.clock import now
    from hub.controls.imports import check_import, import_controls
    from hub.db import unit_of_work
    from hub.errors import HubError

    with unit_of_work(hub.sessions) as session:
        user = user_by_name(session, officer)
        if user is None or user.role != "officer" or user.court_code != court or not user.active:
            typer.echo(f"{officer!r} is not an active officer of court {court}", err=True)
            raise typer.Exit(2)
        at = now()
        try:
            plan = check_import(
                session,
                data=data,
                filename=file.name,
                court_code=court,
                importer=principal(user),
                officer=None,
                settings=hub.settings,
                at=at,
            )
        except HubError as exc:
            typer.echo(exc.message, err=True)
            raise typer.Exit(2) from None
        if plan.problems:
            typer.echo(f"{file.name} was not imported: correct these and import it again", err=True)
            for problem in plan.problems:
                typer.echo(f"  {problem}", err=True)
            raise typer.Exit(1)
        for skipped in plan.skipped:
            assert skipped.existing is not None
            typer.echo(
                f"line {skipped.row.row}: {skipped.unit.code} {skipped.row.registration_no} is in the hub "
                f"already as control {skipped.existing.id}: skipped"
            )
        if check:
            typer.echo(f"{len(plan.new)} controls to import; nothing written (--check)")
            return
        result = import_controls(session, plan=plan, data=data, blobs=hub.blobs, actor="cli", at=at)
        for planned, control in zip(plan.new, result.controls, strict=True):
            typer.echo(
                f"line {planned.row.row}: control {control.id}, {control.kind} {control.unit_code} "
                f"{control.registration_no}, {control.period_start} to {control.period_end}"
            )
        typer.echo(f"{len(result.controls)} controls imported, {len(result.skipped)} in the hub already")
