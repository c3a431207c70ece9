"""Makes this folder's helper modules importable by plain name (tests run with importlib mode) and
provides a fresh PostgreSQL database per test."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    from webmacs_sdk.testing.databases import PostgresTestDatabase

    database = PostgresTestDatabase()
    try:
        database.create()
    except OSError as exc:
        pytest.skip(f"PostgreSQL not available: {exc}")
    try:
        yield database.url
    finally:
        database.drop()


@pytest.fixture(scope="session")
def edge_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One server and one controller process for the tests of drivers reaching the edge."""
    from edge_support import EdgeStack

    stack = EdgeStack(tmp_path_factory.mktemp("edge-stack"))
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()
        if stack.log.exists():
            print(stack.log.read_text(errors="replace")[-4000:])
