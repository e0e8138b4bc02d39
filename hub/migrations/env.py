from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection

from hub.config import get_settings
from hub.db import make_engine
from hub.models import Base

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def run(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # A batch migration rebuilds a table; with foreign keys on, dropping the old one fails when other
        # tables refer to it. The pragma only works outside a transaction, so it goes to the driver first.
        connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=sqlite,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
        if sqlite and (broken := connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()):
            raise RuntimeError(f"the migration left rows whose foreign keys point nowhere: {broken[:5]}")
    if sqlite:
        connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    url = config.get_main_option("sqlalchemy.url") or get_settings().database_url
    engine = make_engine(url)
    with engine.connect() as conn:
        run(conn)
    engine.dispose()
