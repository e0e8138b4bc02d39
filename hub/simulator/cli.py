"""`hub simulate-unit CODE`: run a member unit's own system, simulated, on HOST:PORT."""

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from hub.directory.loader import BUNDLED_DIRECTORY, DirectoryError, load_directory


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(2)


def simulate_unit(
    code: Annotated[str, typer.Argument(help="The unit's code in the directory, e.g. housing-fund.")],
    port: Annotated[int, typer.Option(help="Port to serve the unit's endpoint (POST /tasks) on.")] = 8101,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    hub: Annotated[
        str | None,
        typer.Option("--hub", help="The hub's base URL, e.g. http://127.0.0.1:8000 (needed unless --sync)."),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(
            envvar="SIMULATOR_TOKEN", help="The unit's API token for the hub (hub token issue staff-CODE)."
        ),
    ] = None,
    secret: Annotated[
        str | None,
        typer.Option(envvar="SIMULATOR_SECRET", help="Bearer secret expected on pushes; none: not checked."),
    ] = None,
    answer_after: Annotated[
        float, typer.Option(min=0, help="Seconds between a push and posting its receipt.")
    ] = 1.0,
    sync: Annotated[
        bool, typer.Option("--sync", help="Answer in the push response (200 + receipt), post nothing.")
    ] = False,
    fail_rate: Annotated[
        float, typer.Option(min=0, max=1, help="Probability of answering a push with 503.")
    ] = 0.0,
    latency: Annotated[float, typer.Option(min=0, help="Seconds to sleep before answering a push.")] = 0.0,
    seed: Annotated[int, typer.Option(help="Seed of the generated register (invented data).")] = 0,
    directory: Annotated[
        Path | None, typer.Option(help="A unit directory file instead of the bundled one.")
    ] = None,
) -> None:
    """Simulate unit CODE's own system: take the tasks the hub pushes, answer from a generated register.

    For trying and testing the hub end to end; the register is invented data. GET /register shows it.
    """
    import uvicorn

    from hub.simulator.app import SimulatorConfig, create_app

    try:
        units = load_directory(directory or BUNDLED_DIRECTORY)
    except DirectoryError as exc:
        raise _fail(str(exc)) from None
    unit = units.unit(code)
    if unit is None:
        known = ", ".join(u.code for u in units.units)
        raise _fail(f"no unit {code!r} in the directory; the codes are: {known}")
    if not sync and not hub:
        raise _fail("--hub URL is needed to post receipts back (or --sync to answer in the push response)")
    if hub and not sync and not token:
        raise _fail("--token (or SIMULATOR_TOKEN) is needed: the unit's API token for the hub")
    logging.basicConfig(
        level=logging.INFO,
        format=f"%(asctime)s simulate-unit {code} %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per push and per receipt is enough
    config = SimulatorConfig(
        unit=unit,
        hub_url=hub,
        token=token,
        secret=secret or None,
        answer_after=answer_after,
        sync=sync,
        fail_rate=fail_rate,
        latency=latency,
        seed=seed,
    )
    logging.getLogger("hub.simulator").info(
        "serving POST http://%s:%d/tasks (GET /register shows the register)", host, port
    )
    uvicorn.run(create_app(config), host=host, port=port, log_level="warning", access_log=False)
