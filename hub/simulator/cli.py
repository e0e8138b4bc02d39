"""`hub simulate-unit CODE`: run a member unit's own system, simulated, on HOST:PORT.

Two modes: a unit reached by http-push takes the tasks the hub pushes (app.py); with --poll, a unit
whose channel is the 查控 service (kind = "ckw") polls the hub as its front-end system does (poller.py).
"""

import logging
import os
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
    poll: Annotated[
        bool,
        typer.Option(
            "--poll", help="Poll the hub's 查控 service as the unit's own system does (a unit of kind ckw)."
        ),
    ] = False,
    password: Annotated[
        str | None,
        typer.Option(
            envvar="SIMULATOR_PASSWORD",
            help="With --poll: the password its usermarker carries (default: the channel's variable).",
        ),
    ] = None,
    every: Annotated[float, typer.Option(min=0.1, help="With --poll: seconds between two polls.")] = 2.0,
) -> None:
    """Simulate unit CODE's own system: take the tasks the hub pushes, or with --poll fetch them from the
    hub's 查控 service; answer from a generated register.

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
    if poll:
        app = _poll_app(unit, hub=hub, password=password, every=every, seed=seed, sync=sync)
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
        return
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


def _poll_app(unit, *, hub: str | None, password: str | None, every: float, seed: int, sync: bool):
    """The polling system of a ckw unit; refuses a unit reached otherwise, and a missing hub or password."""
    from adapters.ckw import CkwChannel
    from hub.simulator.poller import PollConfig, create_poll_app

    channel = next((c for c in [unit.channel, *unit.fallback] if isinstance(c, CkwChannel)), None)
    if channel is None:
        raise _fail(
            f"unit {unit.code} is reached by {unit.channel.kind}, not by the 查控 service: --poll simulates the "
            'system of a unit whose directory channel is { kind = "ckw", ... } (e.g. real-estate, '
            "rural-bank); without --poll the simulator takes the tasks the hub pushes"
        )
    if sync:
        raise _fail("--sync answers pushes; a polling system has none: leave it out with --poll")
    if not hub:
        raise _fail("--hub URL is needed: the hub whose 查控 service to poll, e.g. http://127.0.0.1:8000")
    password = password or os.environ.get(channel.password_env, "").strip()
    if not password:
        raise _fail(
            f"the unit's password is needed: --password, SIMULATOR_PASSWORD or {channel.password_env} "
            f"(a hub in demo mode without {channel.password_env} takes the demo accounts' password)"
        )
    logging.basicConfig(
        level=logging.INFO,
        format=f"%(asctime)s simulate-unit {unit.code} %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per call is the simulator's own
    config = PollConfig(unit=unit, channel=channel, hub_url=hub, password=password, every=every, seed=seed)
    return create_poll_app(config)
