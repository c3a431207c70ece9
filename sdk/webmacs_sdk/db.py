"""Database access for server plugins: the engine wrapper, column types, small helpers, and the
classification of database errors (a duplicate key, an outage) shared by the core and plugins.

Plugins use SQLAlchemy Core (tables + statements) on an ``AsyncConnection``; the schema of
each plugin is created only by its own alembic branch (see ``webmacs_migrations``).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from aiohttp import web
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from webmacs_sdk.errors import Conflict, NotFound
from webmacs_sdk.keys import DATABASE
from webmacs_sdk.models import Transaction
from webmacs_sdk.specs import ReferencingTable
from webmacs_sdk.timefmt import as_utc
from webmacs_sdk.web import page_params, paginated

#: Naming convention shared by every plugin's tables, so constraint names are predictable.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_metadata() -> sa.MetaData:
    """A ``MetaData`` for one plugin's tables, with the shared naming convention."""
    return sa.MetaData(naming_convention=NAMING_CONVENTION)


def key_columns() -> tuple[sa.Column[int], sa.Column[str]]:
    """``id`` (internal key) and ``public_id`` (the UUID the API shows): a resource table's first columns."""
    return (
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("public_id", sa.String(100), nullable=False, unique=True),
    )


def owner_column() -> sa.Column[str]:
    """``user_public_id``: the owning user (plugins re-home such rows on ``user.deleted``)."""
    return sa.Column(
        "user_public_id",
        sa.String(100),
        sa.ForeignKey("users.public_id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )


def new_public_id() -> str:
    """A fresh UUID4 string: the ``public_id`` every resource is addressed by."""
    return str(uuid.uuid4())


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """``TIMESTAMP WITH TIME ZONE`` that always returns aware UTC datetimes (SQLite included)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        value = as_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return as_utc(value)


def is_unique_violation(exc: BaseException) -> bool:
    """True for a UNIQUE/PRIMARY KEY violation on PostgreSQL or SQLite."""
    if not isinstance(exc, sa_exc.IntegrityError):
        return False
    text = str(exc.orig).lower()
    return "unique" in text or "duplicate key" in text


_UNAVAILABLE_NAMES = {
    "ConnectionDoesNotExistError",
    "CannotConnectNowError",
    "ConnectionFailureError",
    "AdminShutdownError",
    "CrashShutdownError",
    "TooManyConnectionsError",
    "InterfaceError",
    "ConnectionRefusedError",
    # asyncpg after a killed backend: the connection is unusable; the pool replaces it.
    "InternalClientError",
}


def is_database_unavailable(exc: BaseException) -> bool:
    """True when ``exc`` means the database cannot be reached right now (answer 503, retry later)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, sa_exc.DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, (OSError, asyncio.TimeoutError, sa_exc.TimeoutError)):
            return True
        if isinstance(current, (sa_exc.OperationalError, sa_exc.InterfaceError)):
            text = str(current).lower()
            if "locked" not in text or "database is locked" in text:
                return True
        if type(current).__name__ in _UNAVAILABLE_NAMES:
            return True
        current = current.__cause__ or current.__context__
    return False


@contextmanager
def conflict_on_duplicate(detail: str) -> Iterator[None]:
    """Turn a UNIQUE violation raised inside the block (a race the pre-check lost) into 409 ``detail``."""
    try:
        yield
    except sa_exc.IntegrityError as exc:
        if is_unique_violation(exc):
            raise Conflict(detail) from None
        raise


async def delete_with_references(
    conn: AsyncConnection,
    table: sa.Table,
    where: sa.ColumnElement[bool],
    declared: Iterable[Iterable[ReferencingTable] | None],
) -> int:
    """Delete the rows of ``table`` matching ``where``, then the rows other plugins declared as
    referring to them by id (``declared``: the lists a ``webmacs_*_referencing_tables`` hook
    returned), in the caller's transaction. Returns how many rows of ``table`` were deleted.

    The referenced rows go first on purpose: on PostgreSQL that deletion waits for any writer that
    locked them (``FOR KEY SHARE``, as an ingest batch does) to commit, and the deletions of the
    referring rows that follow, each a statement with a fresh snapshot, then see and remove what
    that writer stored. The other order would leave such rows behind.
    """
    key = table.c.id
    ids = list((await conn.execute(sa.delete(table).where(where).returning(key))).scalars())
    if ids:
        for specs in declared:
            for spec in specs or ():
                column = spec.table.c[spec.column]
                await conn.execute(sa.delete(spec.table).where(column.in_(ids)))
    return len(ids)


async def row_or_404(
    db: Database,
    lookup: Callable[[AsyncConnection, str], Awaitable[sa.Row[Any] | None]],
    public_id: str,
    label: str,
) -> sa.Row[Any]:
    """The row ``lookup`` finds for ``public_id``, or the contract's ``<label> '<id>' not found.``"""
    async with db.connect() as conn:
        row = await lookup(conn, public_id)
    if row is None:
        raise NotFound.entity(label, public_id)
    return row


class Database:
    """The engine plus the transaction helper every plugin uses.

    ``dialect`` is ``"postgresql"`` or ``"sqlite"``; storage code picks its fast path by it.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name

    @property
    def is_postgres(self) -> bool:
        return self.dialect == "postgresql"

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """``BEGIN`` ... ``COMMIT``; after-commit callbacks run only when the commit succeeded."""
        async with self.engine.begin() as conn:
            tx = Transaction(conn)
            yield tx
        tx.run_after_commit()

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[AsyncConnection]:
        """A connection for reads; its transaction is rolled back, never committed."""
        async with self.engine.connect() as conn:
            await conn.execution_options(webmacs_readonly=True)
            yield conn


async def driver_connection(conn: AsyncConnection) -> Any:
    """The DBAPI driver's own connection under ``conn`` (asyncpg's on PostgreSQL), for COPY,
    arrays and other driver features SQLAlchemy does not expose."""
    raw = await conn.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    return driver


async def count(conn: AsyncConnection, query: sa.Select[Any]) -> int:
    """``SELECT count(*)`` over ``query`` (its ORDER BY is dropped)."""
    sub = query.order_by(None).subquery()
    result = await conn.execute(sa.select(sa.func.count()).select_from(sub))
    return int(result.scalar_one())


async def fetch_page(
    conn: AsyncConnection, query: sa.Select[Any], page: int, page_size: int
) -> tuple[int, list[sa.Row[Any]]]:
    """Total row count and the rows of one page (1-based) of ``query``."""
    total = await count(conn, query)
    rows = (await conn.execute(query.limit(page_size).offset((page - 1) * page_size))).all()
    return total, list(rows)


async def list_page(
    request: web.Request, query: sa.Select[Any], to_response: Callable[[sa.Row[Any]], Any]
) -> web.Response:
    """A list endpoint's answer: the page of ``query`` the request asks for (``page``,
    ``page_size``, already validated through ``query=PageParams``), each row through
    ``to_response``, in the contract's page envelope."""
    params = page_params(request)
    async with request.app[DATABASE].connect() as conn:
        total, rows = await fetch_page(conn, query, params.page, params.page_size)
    return paginated(params.page, params.page_size, total, [to_response(row) for row in rows])
