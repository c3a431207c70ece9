"""Helpers of the rules tests: a probe that tells when a batch has been through every
``webmacs_on_datapoints`` implementation, and event/ingest shortcuts."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from webmacs_sdk import hookimpl

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
    body = {"name": name, "min_value": -1000, "max_value": 1000, "unit": unit, "type": "sensor"}
    resp = await client.post("/api/v1/events", json=body, headers=headers)
    assert resp.status == 201, await resp.text()
    listing = await (await client.get("/api/v1/events?page_size=100", headers=headers)).json()
    return next(e["public_id"] for e in listing["data"] if e["name"] == name)


async def _ingest(
    client: Any,
    headers: dict[str, str],
    event_id: str,
    values: list[float],
    start: datetime | None = None,
    step: float = 1.0,
) -> None:
    start = start or datetime.now(UTC) - timedelta(seconds=step * len(values))
    points = [
        {
            "event_public_id": event_id,
            "value": v,
            "timestamp": (start + timedelta(seconds=i * step)).isoformat(),
        }
        for i, v in enumerate(values)
    ]
    resp = await client.post("/api/v1/datapoints/batch", json={"datapoints": points}, headers=headers)
    assert resp.status == 201, await resp.text()
    assert (await resp.json())["message"] == f"{len(values)} datapoints successfully created."


@pytest.fixture
def make_event() -> Any:
    """``await make_event(client, headers, name)`` → the new event's public id."""
    return _make_event


@pytest.fixture
def ingest() -> Any:
    """``await ingest(client, headers, event_id, values, start=None, step=1.0)`` through REST."""
    return _ingest
