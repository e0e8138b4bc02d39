"""Migration 0011 (requests.origin): requests stored before it read as sent through the hub, and it steps
down and up again with them kept."""

from alembic import command
from conftest import submit
from sqlalchemy import create_engine, inspect, text

from hub.migrations import alembic_config


def origins(url: str) -> list[tuple[str, str]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text("SELECT request_no, origin FROM requests"))]
    finally:
        engine.dispose()


def columns(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return {column["name"] for column in inspect(engine).get_columns("requests")}
    finally:
        engine.dispose()


def test_requests_stored_before_0011_are_the_hubs_and_stay_through_a_step_down(
    client, token, hub, database_url
):
    submit(client, token("officer"), "request-freeze.xml")
    assert origins(database_url) == [("AT-2026-000123", "hub")]
    hub.engine.dispose()
    config = alembic_config(database_url)

    command.downgrade(config, "0010")
    assert "origin" not in columns(database_url)
    command.upgrade(config, "0011")

    assert origins(database_url) == [("AT-2026-000123", "hub")]
