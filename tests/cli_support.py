"""The `hub` command as an administrator runs it: in the test's process, or as a process of its own.

In the test's process (`invoke`), typer's CliRunner runs the same app as the installed `hub` entry point
(hub.cli.app, as `hub`), about a second faster a call than a process: exit code, stdout and stderr as the
process would have had them. A process of its own (`run_process`, `process_environment`) is for what only a
process shows: the entry point starting, a refusal to start, two processes at once.

Both see the same environment: the test process's, without any HUB_ setting or terminal size of its own,
plus the settings given (a None unsets one).
"""

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from typer.testing import CliRunner, Result

from hub.cli import app
from hub.config import get_settings

HUB = Path(sys.executable).parent / "hub"


def _changes(settings: Mapping[str, str | None]) -> dict[str, str | None]:
    """What `settings` changes in os.environ for a command: None unsets a variable."""
    unset = {k: None for k in os.environ if k.startswith("HUB_") or k in ("COLUMNS", "LINES")}
    return {**unset, **settings}


def invoke(*args: str, env: Mapping[str, str | None]) -> Result:
    """`hub ARGS` in this process, its settings read afresh from `env`.

    An exception the command does not turn into an exit code is raised here, as a process would print its
    traceback; os.environ is restored afterwards (CliRunner), and the settings forgotten again. Two
    differences: a SystemExit with a message (the refusal of the default secret key) lands on stdout here,
    on stderr in a process; and a warning logged by a command that configures no logging goes to pytest's
    log capture here, to stderr in a process (logging's last resort)."""
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(app, list(args), env=_changes(env), prog_name="hub", catch_exceptions=False)
    finally:
        get_settings.cache_clear()


def process_environment(settings: Mapping[str, str | None]) -> dict[str, str]:
    """The whole environment of a `hub` process with `settings`."""
    env = {**os.environ, **_changes(settings)}
    return {k: v for k, v in env.items() if v is not None}


def run_process(
    *args: str, env: Mapping[str, str | None], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """`hub ARGS` as a process of its own, the installed entry point."""
    return subprocess.run(
        [str(HUB), *args], env=process_environment(env), capture_output=True, text=True, timeout=timeout
    )
