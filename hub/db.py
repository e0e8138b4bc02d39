"""Engine, sessions and the unit of work: a request, its tasks, events and files land together or not at all."""

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

ROLLBACK_HOOKS = "hub.before_rollback"
HOLDS_WRITER = "hub.holds_sqlite_writer"  # on a pooled connection's info: it holds this process's writer lock
QUERY_ONLY = "hub.sqlite_query_only"  # on a pooled connection's info: PRAGMA query_only is on
READ_ONLY = "hub_read_only"  # an execution option: the transaction only reads (make_readers)


class NulCharacter(ValueError):
    """A text bound to a statement holds U+0000, which PostgreSQL cannot store or compare: refused on both
    databases alike (a search, a sign-in name, a form field), before the statement is sent."""


def _refuse_nul(parameters: Any) -> None:
    rows = parameters if isinstance(parameters, list) else [parameters]
    for row in rows:
        for value in row.values() if isinstance(row, dict) else row or ():
            if isinstance(value, str) and "\x00" in value:
                raise NulCharacter("a value holds the character U+0000 (NUL), which no text may hold")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`. SQLite gets WAL, foreign keys, a busy timeout and BEGIN IMMEDIATE.

    BEGIN IMMEDIATE makes SQLite take its write lock when a transaction starts, so two writers
    queue instead of failing half-way (the audit chain reads its head and appends in one transaction).
    On both, a text holding NUL is refused before the statement runs (NulCharacter).
    """
    engine = _make_engine(url, **kwargs)

    @event.listens_for(engine, "before_cursor_execute")
    def _no_nul(
        _conn: Any, _cursor: Any, _statement: str, parameters: Any, _context: Any, _many: bool
    ) -> None:
        _refuse_nul(parameters)

    return engine


def _make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # let SQLAlchemy emit BEGIN itself
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        # SQLite lets one writer in at a time; its busy handler makes the others sleep and retry (up to
        # 100 ms a try), so under load a transaction could wait long after the lock was free. Within one
        # process the writers queue on this lock instead and go in the moment it is released. Another
        # process still meets SQLite's own lock and busy handler.
        writer = threading.Lock()

        def release(info: dict) -> None:  # only by the connection that holds it, once
            if info.pop(HOLDS_WRITER, False):
                writer.release()

        @event.listens_for(engine, "begin")
        def _on_begin(connection: Any) -> None:
            read_only = bool(connection.get_execution_options().get(READ_ONLY))
            if connection.info.get(QUERY_ONLY, False) != read_only:  # set when the connection changes sides
                connection.exec_driver_sql(f"PRAGMA query_only={int(read_only)}")
                connection.info[QUERY_ONLY] = read_only
            if read_only:
                connection.exec_driver_sql("BEGIN")  # deferred: a snapshot to read, no lock to queue for
                return
            if not writer.acquire(timeout=30):
                raise TimeoutError("waited 30 s for this process's other SQLite transactions to end")
            connection.info[HOLDS_WRITER] = True
            try:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            except BaseException:
                release(connection.info)
                raise

        @event.listens_for(engine, "commit")
        @event.listens_for(engine, "rollback")
        def _on_end(connection: Any) -> None:
            release(connection.info)

        # a connection reset, invalidated or closed mid-transaction never commits nor rolls back
        @event.listens_for(engine.pool, "reset")
        def _on_reset(_dbapi_connection: Any, record: Any, _reset_state: Any) -> None:
            release(record.info)

        @event.listens_for(engine.pool, "invalidate")
        def _on_invalidate(_dbapi_connection: Any, record: Any, _exception: Any) -> None:
            release(record.info)

        @event.listens_for(engine.pool, "close")
        def _on_close(_dbapi_connection: Any, record: Any) -> None:
            release(record.info)

        return engine
    engine = create_engine(url, pool_pre_ping=True, **kwargs)

    @event.listens_for(engine, "begin")
    def _on_begin_pg(connection: Any) -> None:
        # psycopg begins the transaction at the first statement, READ ONLY while this is set
        dbapi_connection = connection.connection.dbapi_connection
        read_only = bool(connection.get_execution_options().get(READ_ONLY))
        if dbapi_connection.read_only != read_only:
            dbapi_connection.read_only = read_only

    return engine


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False, autoflush=False)


def make_readers(engine: Engine) -> sessionmaker[Session]:
    """Sessions for transactions that only read (the caller's token, a right to answer a task).

    On SQLite they begin DEFERRED: they neither take this process's writer lock nor SQLite's, so they do
    not queue behind the writers, and read a consistent snapshot (WAL). A write in one fails, on SQLite
    (PRAGMA query_only) and on PostgreSQL (a READ ONLY transaction) alike."""
    return sessionmaker(
        engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False, autoflush=False
    )


def flush_unique(session: Session, *rows: object) -> None:
    """Add and flush `rows`, one of which carries a unique number that a concurrent transaction may have
    taken meanwhile (a RequestNo, a ReceiptNo): IntegrityError if it did.

    On PostgreSQL they go in a savepoint, so that the transaction stays usable for a look at the twin;
    they are added inside it, as begin_nested first flushes whatever is pending, outside the savepoint.
    SQLite needs no savepoint and is spared its cost: BEGIN IMMEDIATE (make_engine) lets no other writer
    in after the transaction's first statement, so the caller's lookup before the flush has already
    seen any twin (an IntegrityError there would leave the session to be rolled back)."""
    if session.get_bind().dialect.name == "sqlite":
        session.add_all(rows)
        session.flush()
        return
    with session.begin_nested():
        session.add_all(rows)
        session.flush()


def on_rollback(session: Session, hook: Callable[[], None]) -> None:
    """Run `hook` if this session's transaction is rolled back, before the rollback releases its locks.

    The blob store uses it to remove files written by a transaction that does not commit.
    """
    session.info.setdefault(ROLLBACK_HOOKS, []).append(hook)


@contextmanager
def reading(readers: sessionmaker[Session]) -> Iterator[Session]:
    """A read-only transaction of `readers` (make_readers), ended by a rollback: it has nothing to commit."""
    with readers() as session:
        yield session


@contextmanager
def unit_of_work(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commit when the block ends normally, roll back (and undo its files) otherwise."""
    session = sessions()
    try:
        try:
            yield session
            session.flush()
        except BaseException:
            for hook in session.info.pop(ROLLBACK_HOOKS, []):
                hook()
            session.rollback()
            raise
        # A failure inside COMMIT may still have committed: files are kept, never deleted then.
        session.info.pop(ROLLBACK_HOOKS, None)
        session.commit()
    finally:
        session.close()
