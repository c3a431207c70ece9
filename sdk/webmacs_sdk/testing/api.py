"""HTTP helpers for tests that need events and datapoints (the events and datapoints plugins loaded)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

#: The contract's batch limit.
BATCH_LIMIT = 500


async def create_event(client: Any, headers: dict[str, str], name: str = "Temp", unit: str = "degC", *,
                       min_value: float = -1e6, max_value: float = 1e6, type_: str = "sensor") -> str:
    """Create an event through the API and return its public id (create answers no id)."""
    body = {"name": name, "min_value": min_value, "max_value": max_value, "unit": unit, "type": type_}
    resp = await client.post("/api/v1/events", json=body, headers=headers)
    assert resp.status == 201, await resp.text()
    listing = await (await client.get("/api/v1/events?page_size=100", headers=headers)).json()
    return str(next(e["public_id"] for e in listing["data"] if e["name"] == name))


async def post_datapoints(client: Any, headers: dict[str, str], event_id: str, values: list[float], *,
                          start: datetime | None = None, step: float = 1.0) -> None:
    """POST ``values`` as timestamped batches (``step`` seconds apart) and check all were accepted."""
    start = start or datetime.now(UTC) - timedelta(seconds=step * len(values))
    points = [
        {"event_public_id": event_id, "value": v, "timestamp": (start + timedelta(seconds=i * step)).isoformat()}
        for i, v in enumerate(values)
    ]
    for offset in range(0, len(points), BATCH_LIMIT):
        chunk = points[offset : offset + BATCH_LIMIT]
        resp = await client.post("/api/v1/datapoints/batch", json={"datapoints": chunk}, headers=headers)
        assert resp.status == 201, await resp.text()
        assert (await resp.json())["message"] == f"{len(chunk)} datapoints successfully created."
