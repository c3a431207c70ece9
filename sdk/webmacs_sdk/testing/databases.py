"""Test databases: a fresh SQLite file per test, one PostgreSQL database per session (truncated per test)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any


def _run(coro: Coroutine[Any, Any, Any]) -> Any:
    # A fresh loop in a worker thread: the caller may already be inside a running loop.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()

PG_ADMIN_DSN = os.environ.get("WEBMACS_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")


def _dsn_for(name: str) -> str:
    base, _, _ = PG_ADMIN_DSN.rpartition("/")
    return f"{base}/{name}"


def sqlalchemy_url(dsn: str) -> str:
    return dsn.replace("postgresql://", "postgresql+asyncpg://", 1)


class PostgresTestDatabase:
    """One ``webmacs_test_<random>`` database, emptied (not dropped) between tests."""

    def __init__(self) -> None:
        self.name = f"webmacs_test_{uuid.uuid4().hex[:10]}"
        self.dsn = _dsn_for(self.name)

    async def _admin(self, sql: str) -> None:
        import asyncpg

        conn = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    def create(self) -> None:
        _run(self._admin(f'CREATE DATABASE "{self.name}"'))

    def drop(self) -> None:
        _run(self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))

    async def truncate(self) -> None:
        """Empty every table but alembic's, so each test starts from a clean schema."""
        import asyncpg

        conn = await asyncpg.connect(self.dsn)
        try:
            tables = await conn.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
            )
            if tables:
                names = ", ".join(f'"{row["tablename"]}"' for row in tables)
                await conn.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        finally:
            await conn.close()

    @property
    def url(self) -> str:
        return sqlalchemy_url(self.dsn)


class PostgresTestDatabases:
    """A database per set of migration branches, created on first use and dropped at the end.

    Tests load different plugin sets; a database migrated by one set carries revisions another
    set does not know, so each set gets its own database, truncated before each test uses it.
    """

    def __init__(self) -> None:
        self._by_branches: dict[frozenset[str], PostgresTestDatabase] = {}

    def get(self, branches: frozenset[str]) -> PostgresTestDatabase:
        if branches not in self._by_branches:
            database = PostgresTestDatabase()
            database.create()
            self._by_branches[branches] = database
        return self._by_branches[branches]

    def truncate(self, database: PostgresTestDatabase) -> None:
        _run(database.truncate())

    def drop_all(self) -> None:
        for database in self._by_branches.values():
            database.drop()
