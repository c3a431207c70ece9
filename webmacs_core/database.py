"""Engine construction for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from webmacs_core.settings import Settings
from webmacs_sdk.db import Database
from webmacs_sdk.sqlite import BUSY_TIMEOUT_SECONDS, configure_sqlite


def create_engine(settings: Settings) -> AsyncEngine:
    url = sa.make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        engine = create_async_engine(url, connect_args={"timeout": BUSY_TIMEOUT_SECONDS})
        configure_sqlite(engine)
        return engine
    engine = create_async_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        pool_recycle=1800,
    )
    _ping_idle_connections(engine)
    return engine


#: A pooled connection checked in more recently than this is handed out without a ping.
PING_AFTER_IDLE_SECONDS = 1.0
_CHECKED_IN = "webmacs_checked_in"


def _ping_idle_connections(engine: AsyncEngine) -> None:
    """Ping a connection at checkout only if it sat idle in the pool.

    ``pool_pre_ping`` pings on every checkout: on asyncpg that is BEGIN, a query and ROLLBACK,
    three round trips in front of every ingested batch, half of all its round trips. A
    connection that was in use a moment ago is alive unless the server went away just now;
    that failure surfaces as a disconnect on first use (a retryable 503, after which the pool
    replaces its connections), as it would for a statement already in flight at that moment.
    """

    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(_dbapi_conn: Any, record: Any) -> None:
        record.info[_CHECKED_IN] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkin")
    def on_checkin(_dbapi_conn: Any, record: Any) -> None:
        record.info[_CHECKED_IN] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def on_checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        if time.monotonic() - record.info.get(_CHECKED_IN, 0.0) < PING_AFTER_IDLE_SECONDS:
            return
        try:
            dbapi_conn.ping()
        except Exception as exc:
            # The pool discards this connection and checks out another (SQLAlchemy's
            # documented pessimistic disconnect handling).
            raise sa_exc.DisconnectionError("pooled connection failed its ping") from exc


def open_database(settings: Settings) -> Database:
    return Database(create_engine(settings))

