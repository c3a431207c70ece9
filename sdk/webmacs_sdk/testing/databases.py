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
    """Creates ``webmacs_test_<random>`` for the session and empties it between tests."""

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
