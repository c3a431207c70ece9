"""SQLite engines (aiosqlite) the way the server uses them: WAL, writers that queue for the lock, and
statements that end when the task awaiting them is cancelled.

aiosqlite runs each statement in a worker thread, and cancelling the task that awaits it does not
stop the statement. SQLAlchemy then treats the connection as lost and closes it behind the statement,
but leaves the statement's cursor open. ``sqlite3`` closes a connection whose statements are not all
finalized only as far as a zombie: its transaction, and the write lock a writer holds, stay until
the cursor is garbage-collected, which a cursor kept alive by the cancelled task's traceback may
never be. A server stopped while a background task was mid-statement then left the file locked, and
an app started next in the same process could not migrate (``database is locked``).

:func:`configure_sqlite` interrupts such a statement and closes its cursor before the connection is
closed, so the connection's transaction is rolled back and its lock released at once.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.ext.asyncio import AsyncEngine

#: Seconds a writer waits for another writer's lock before failing with ``database is locked``.
BUSY_TIMEOUT_SECONDS = 30


def configure_sqlite(engine: AsyncEngine) -> None:
    """Set up every connection of the aiosqlite ``engine`` (see the module docstring)."""
    sync_engine = engine.sync_engine

    # pysqlite's own transaction handling breaks SAVEPOINT and transactional DDL; take it over.
    @event.listens_for(sync_engine, "connect")
    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        pragmas = ("journal_mode=WAL", "foreign_keys=ON", "synchronous=NORMAL")
        for pragma in (*pragmas, f"busy_timeout={BUSY_TIMEOUT_SECONDS * 1000}"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()
        stop_once(dbapi_conn.driver_connection)

    @event.listens_for(sync_engine, "begin")
    def on_begin(conn: Any) -> None:
        # Writers take the lock up front so two writers queue on busy_timeout instead of
        # failing on a lock upgrade; readers stay deferred and never block in WAL mode.
        readonly = conn.get_execution_options().get("webmacs_readonly", False)
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")

    @event.listens_for(sync_engine, "handle_error")
    def on_error(context: ExceptionContext) -> None:
        if isinstance(context.original_exception, asyncio.CancelledError):
            end_cancelled_statement(context)


def end_cancelled_statement(context: ExceptionContext) -> None:
    """The task awaiting a statement was cancelled: stop the statement, then close its cursor.

    Both are queued on the connection's worker thread ahead of the close SQLAlchemy issues next
    (it discards a connection whose statement was cut off), so the connection closes for real.
    ``sqlite3.Connection.interrupt`` may be called from any thread; a statement waiting for another
    writer's lock is not interrupted and ends when it gets the lock or its busy timeout passes.
    """
    # ``ExecutionContext.cursor``: ``ExceptionContext.cursor`` is declared but never set.
    cursor = None if context.execution_context is None else context.execution_context.cursor
    if cursor is None or context.connection is None:
        return  # not a statement (a COMMIT or ROLLBACK, which is left to finish)
    adapted = context.connection.connection.dbapi_connection
    if adapted is not None:
        adapted.run_async(lambda driver: driver.interrupt())
    cursor.close()


def stop_once(driver: Any) -> None:
    """Make a second stop of the aiosqlite connection ``driver`` a no-op.

    SQLAlchemy discards a connection whose statement was cancelled by closing it gracefully in a
    shielded task and, when that wait is cancelled too, by stopping it at once. aiosqlite (0.22)
    then queues two stops: the first ends its worker thread, and the graceful close waits for the
    second, which no thread will run, for ever (the event loop can then never close). Once a stop
    is queued (``_running`` is cleared), there is nothing left to wait for.
    """
    stop = driver.stop

    def stop_unless_stopping() -> asyncio.Future[Any] | None:
        return stop() if driver._running else None

    driver.stop = stop_unless_stopping
