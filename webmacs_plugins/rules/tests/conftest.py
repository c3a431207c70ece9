"""Helpers of the rules tests: a probe that tells when a batch has been through every
``webmacs_on_datapoints`` implementation, and event/ingest shortcuts."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from webmacs_sdk import hookimpl
from webmacs_sdk.testing.api import create_event, post_datapoints

PLUGINS = ("users", "auth", "events", "experiments", "datapoints", "rules")


class Probe:
    """Counts committed batches after every other ``webmacs_on_datapoints`` implementation ran."""

    name = "probe"

    def __init__(self) -> None:
        self.batches = 0

    @hookimpl(trylast=True)
    async def webmacs_on_datapoints(self, app: Any, batch: Any) -> None:
        self.batches += 1

    async def wait(self, count: int, within: float = 10.0) -> None:
        deadline = asyncio.get_running_loop().time() + within
        while self.batches < count:
            assert asyncio.get_running_loop().time() < deadline, (
                f"only {self.batches}/{count} batches evaluated"
            )
            await asyncio.sleep(0.01)


@pytest.fixture
def probe() -> Probe:
    return Probe()


async def _make_event(client: Any, headers: dict[str, str], name: str = "Temp", unit: str = "degC") -> str:
    return await create_event(client, headers, name, unit)


_ingest = post_datapoints


@pytest.fixture
def make_event() -> Any:
    """``await make_event(client, headers, name)`` → the new event's public id."""
    return _make_event


@pytest.fixture
def ingest() -> Any:
    """``await ingest(client, headers, event_id, values, start=None, step=1.0)`` through REST."""
    return _ingest
