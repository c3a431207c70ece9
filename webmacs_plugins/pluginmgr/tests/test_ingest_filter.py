"""The enabled-events ingestion stage, driven through the core's real pipeline (``host.ingest``).

Storage is a tiny recording backend registered the way any storage plugin registers itself, so
the test needs no other plugin than events for the event resolution that runs before us.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from webmacs_sdk import IngestBatch, RejectReason, StorageBackendSpec, hookimpl
from webmacs_sdk.keys import HOST
from webmacs_sdk.timefmt import utcnow


class RecordingStorage:
    """Keeps the event ids of every stored row."""

    def __init__(self) -> None:
        self.stored: list[str] = []

    async def write_batch(self, tx: Any, batch: IngestBatch) -> bool:
        self.stored.extend(batch.event_public_ids)
        return True


class RecordingStoragePlugin:
    name = "recording-storage"

    def __init__(self) -> None:
        self.storage = RecordingStorage()

    @hookimpl
    def webmacs_register_storage_backends(self) -> list[StorageBackendSpec]:
        @asynccontextmanager
        async def factory(app: Any) -> AsyncIterator[RecordingStorage]:
            yield self.storage

        return [StorageBackendSpec("sql", factory)]


@pytest.fixture
async def setup(make_client: Any, auth_headers: Any, tmp_path: Any) -> Any:
    plugin = RecordingStoragePlugin()
    client = await make_client(
        "users",
        "auth",
        "events",
        "plugins",
        "simulated",
        plugin,
        env={
            "WEBMACS_PLUGIN_DIR": str(tmp_path / "plugins"),
            # A long TTL proves that changes through the API apply at once.
            "WEBMACS_ACTIVE_EVENTS_TTL_SECONDS": "3600",
        },
    )
    admin = await auth_headers(client, "admin")
    resp = await client.post(
        "/api/v1/plugins", json={"plugin_id": "simulated", "instance_name": "Line"}, headers=admin
    )
    assert resp.status == 201
    resp = await client.post(
        "/api/v1/events",
        headers=admin,
        json={"name": "Unmapped", "min_value": 0, "max_value": 1, "unit": "x", "type": "sensor"},
    )
    assert resp.status == 201
    events = (await (await client.get("/api/v1/events", params={"page_size": 100}, headers=admin)).json())[
        "data"
    ]
    instance = (await (await client.get("/api/v1/plugins", headers=admin)).json())["data"][0]
    return client, admin, plugin.storage, instance, {e["name"]: e["public_id"] for e in events}


async def _ingest(client: Any, *event_ids: str) -> Any:
    now = utcnow()
    batch = IngestBatch(list(event_ids), [1.0] * len(event_ids), [now] * len(event_ids))
    return await client.app[HOST].ingest(batch)


async def test_only_events_of_enabled_instances_are_accepted(setup: Any) -> None:
    client, admin, storage, instance, events = setup
    mapped, unmapped = events["Line \u2013 Reactor Temp"], events["Unmapped"]

    result = await _ingest(client, mapped, unmapped)
    assert result.accepted == 1
    assert [(r.event_public_id, r.reason) for r in result.rejected] == [
        (unmapped, RejectReason.EVENT_DISABLED)
    ]
    assert storage.stored == [mapped]

    url = f"/api/v1/plugins/{instance['public_id']}"
    assert (await client.put(url, json={"enabled": False}, headers=admin)).status == 200
    result = await _ingest(client, mapped)
    assert result.accepted == 0 and result.rejected[0].reason is RejectReason.EVENT_DISABLED

    assert (await client.put(url, json={"enabled": True}, headers=admin)).status == 200
    assert (await _ingest(client, mapped)).accepted == 1
    assert storage.stored == [mapped, mapped]


async def test_mapping_changes_apply_immediately(setup: Any) -> None:
    client, admin, _, instance, events = setup
    unmapped = events["Unmapped"]
    base = f"/api/v1/plugins/{instance['public_id']}/channels"
    resp = await client.post(
        base,
        headers=admin,
        json={
            "channel_id": "manual",
            "channel_name": "Manual",
            "direction": "input",
            "unit": "x",
            "event_public_id": unmapped,
        },
    )
    assert resp.status == 201
    assert (await _ingest(client, unmapped)).accepted == 1

    mapping = next(
        m for m in await (await client.get(base, headers=admin)).json() if m["channel_id"] == "manual"
    )
    assert (
        await client.put(f"{base}/{mapping['public_id']}", json={"event_public_id": None}, headers=admin)
    ).status == 200
    assert (await _ingest(client, unmapped)).accepted == 0

    # Deleting the instance stops its events at once (they are deleted with it).
    mapped = events["Line \u2013 Humidity"]
    assert (await _ingest(client, mapped)).accepted == 1
    assert (await client.delete(f"/api/v1/plugins/{instance['public_id']}", headers=admin)).status == 200
    result = await _ingest(client, mapped)
    assert result.accepted == 0


async def test_the_set_is_cached_between_changes(setup: Any) -> None:
    client, _, _, _, events = setup
    from webmacs_pluginmgr.active import active_for

    active = active_for(client.app)
    await _ingest(client, events["Line \u2013 Humidity"])
    loads = active.loads
    for _ in range(20):
        await _ingest(client, events["Line \u2013 Humidity"])
    assert active.loads == loads
