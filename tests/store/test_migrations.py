"""The migrations build exactly the schema the models describe, and step down and up again cleanly."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from hub.migrations import alembic_config
from hub.models import Base


def differences(url: str) -> list:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()


def test_the_migrated_database_matches_the_models(database_url):
    assert differences(database_url) == []


def test_the_last_migration_steps_down_and_up(database_url):
    config = alembic_config(database_url)
    command.downgrade(config, "-1")
    assert differences(database_url) != []
    command.upgrade(config, "head")
    assert differences(database_url) == []
