"""Readiness: may this process take traffic? The database answers, its schema is the code's, blobs can be written.

Liveness (/healthz) only says the process runs; a load balancer or `docker compose` asks /readyz before
sending requests, so a hub whose database is down, not yet migrated, or whose document store is
read-only is taken out of rotation instead of failing every submission.
"""

from dataclasses import dataclass
from functools import cache

from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, column, inspect, select, table

from hub.context import Hub
from hub.migrations import HERE as MIGRATIONS

OK = "ok"


@dataclass(frozen=True)
class Readiness:
    """Each check's verdict: "ok", or what is wrong and what to do."""

    checks: dict[str, str]

    @property
    def failed(self) -> list[str]:
        return [name for name, verdict in self.checks.items() if verdict != OK]

    @property
    def ready(self) -> bool:
        return not self.failed

    def as_dict(self) -> dict[str, object]:
        return {
            "status": "ready" if self.ready else "not ready",
            "failed": self.failed,
            "checks": self.checks,
        }


@cache
def schema_heads() -> frozenset[str]:
    """The revisions the code expects the database at (the migrations' heads); read once per process."""
    return frozenset(ScriptDirectory(str(MIGRATIONS)).get_heads())


def check(hub: Hub) -> Readiness:
    """Run the three checks; a check that cannot run because the database is down says so."""
    database, schema = _database_and_schema(hub.engine)
    return Readiness({"database": database, "schema": schema, "blobs": hub.blobs.files.check() or OK})


def _database_and_schema(engine: Engine) -> tuple[str, str]:
    # any driver error becomes the verdict: the probe must answer, whatever the database does
    try:
        connection = engine.connect()
    except Exception as exc:
        return f"the database did not answer: {_said(exc)}", "not checked: the database did not answer"
    try:
        current = _revisions(connection)
    except Exception as exc:
        return OK, f"the schema's revision cannot be read: {_said(exc)}"
    finally:
        connection.close()
    expected = schema_heads()
    if current == expected:
        return OK, OK
    at = ", ".join(sorted(current)) or "no revision (an empty database)"
    return OK, f"the database is at {at}, the code expects {', '.join(sorted(expected))}: run hub db upgrade"


def _revisions(connection: Connection) -> frozenset[str]:
    """The revisions Alembic recorded in the database (none in an empty one)."""
    if not inspect(connection).has_table("alembic_version"):
        return frozenset()
    version = table("alembic_version", column("version_num"))
    return frozenset(connection.execute(select(version.c.version_num)).scalars())


def _said(exc: Exception) -> str:
    """The exception's type and the first line of its message (drivers add pages of context)."""
    return f"{type(exc).__name__}: {(str(exc).strip().splitlines() or [''])[0]}"
