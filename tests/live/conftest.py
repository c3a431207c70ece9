"""Fixtures for tests against real server processes on PostgreSQL."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from server_process import ServerProcess, require_postgresql

from webmacs_sdk.testing.databases import PostgresTestDatabase


@pytest.fixture(scope="session")
def live_database(pytestconfig: pytest.Config) -> Iterator[str]:
    """A fresh PostgreSQL database for the live servers of this run (dropped at the end)."""
    require_postgresql(pytestconfig)
    database = PostgresTestDatabase()
    database.create()
    yield database.url
    database.drop()


@pytest.fixture(scope="session")
def live_server(live_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One server process on PostgreSQL with one-second limits on reading a request."""
    server = ServerProcess(
        tmp_path_factory.mktemp("live"),
        live_database,
        env={"WEBMACS_HEADER_TIMEOUT_SECONDS": "1", "WEBMACS_BODY_TIMEOUT_SECONDS": "1"},
    ).start()
    yield server
    server.terminate()
