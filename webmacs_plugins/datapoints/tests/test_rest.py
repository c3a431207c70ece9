"""REST ingestion and reads of contract §2.6.7, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from webmacs_sdk import IngestFilterSpec, hookimpl
from webmacs_sdk.models import RejectReason

BASE = "/api/v1/datapoints"


async def all_points(client, headers) -> list[dict]:
    return (await (await client.get(BASE, params={"page_size": 100}, headers=headers)).json())["data"]


async def test_single_and_batch_land_exactly(dataplane):
    client, op, (a, b) = await dataplane("a", "b")
    resp = await client.post(BASE, json={"value": 1.5, "event_public_id": a, "ignored": 1}, headers=op)
    assert resp.status == 201
    assert await resp.json() == {"status": "success", "message": "1 datapoint successfully created."}
    items = [
        {"value": "2.5", "event_public_id": b},
        {"value": 3, "event_public_id": a},
        {"value": -4.25, "event_public_id": "no-such-event"},
    ]
    resp = await client.post(BASE + "/batch", json={"datapoints": items}, headers=op)
    assert resp.status == 201
    assert (await resp.json())["message"] == "2 datapoints successfully created."
    empty = await client.post(BASE + "/batch", json={"datapoints": []}, headers=op)
    assert (await empty.json())["message"] == "0 datapoints successfully created."

    points = await all_points(client, op)
    assert sorted((p["event_public_id"], p["value"]) for p in points) == sorted(
        [(a, 1.5), (b, 2.5), (a, 3.0)]
    )
    first = points[0]
    assert list(first) == ["public_id", "value", "timestamp", "event_public_id", "experiment_public_id"]
    assert first["timestamp"].endswith("Z") and first["experiment_public_id"] is None
    stamps = [p["timestamp"] for p in points]
    assert stamps == sorted(stamps, reverse=True)

    one = await client.get(f"{BASE}/{first['public_id']}", headers=op)
    assert await one.json() == first
    deleted = await client.delete(f"{BASE}/{first['public_id']}", headers=op)
    assert (await deleted.json())["message"] == "Datapoint successfully deleted."
    for pid in (first["public_id"], "nope", "00000000-0000-4000-8000-zzzzzzzzzzzz"):
        resp = await client.get(f"{BASE}/{pid}", headers=op)
        assert resp.status == 404 and await resp.json() == {"detail": f"Datapoint '{pid}' not found."}
        assert (await client.delete(f"{BASE}/{pid}", headers=op)).status == 404
    assert len(await all_points(client, op)) == 2


async def test_bad_input_stores_nothing(dataplane, auth_headers):
    client, op, (a,) = await dataplane("a")
    unknown = await client.post(BASE, json={"value": 1, "event_public_id": "missing"}, headers=op)
    assert unknown.status == 404 and await unknown.json() == {"detail": "Event not found."}
    bad_bodies = [
        {"value": "NaN", "event_public_id": a},
        {"value": "1e400", "event_public_id": a},
        {"value": "abc", "event_public_id": a},
        {"value": {"nested": 1}, "event_public_id": a},
        {"event_public_id": a},
        {"value": 1},
    ]
    for body in bad_bodies:
        resp = await client.post(BASE, json=body, headers=op)
        assert resp.status == 422, body
        assert isinstance((await resp.json())["detail"], list)
    for raw in (
        b'{"value": NaN, "event_public_id": "x"}',
        b'{"value": 1e400, "event_public_id": "x"}',
        b"[[[[",
        b"[" * 100_000,
    ):
        resp = await client.post(BASE, data=raw, headers={**op, "Content-Type": "application/json"})
        assert resp.status == 422, raw[:20]
    too_many = [{"value": 1, "event_public_id": a}] * 501
    resp = await client.post(BASE + "/batch", json={"datapoints": too_many}, headers=op)
    assert resp.status == 422
    mixed = [{"value": 1, "event_public_id": a}, {"value": "inf", "event_public_id": a}]
    assert (await client.post(BASE + "/batch", json={"datapoints": mixed}, headers=op)).status == 422
    viewer = await auth_headers(client, "viewer")
    assert (await client.post(BASE, json={"value": 1, "event_public_id": a}, headers=viewer)).status == 403
    assert (await client.post(BASE, json={"value": 1, "event_public_id": a})).status == 401
    assert await all_points(client, op) == []


class OnlyEnabled:
    """Stands in for the plugins plugin: rejects one event as not linked to an enabled instance."""

    def __init__(self) -> None:
        self.disabled: set[str] = set()

    @hookimpl
    def webmacs_ingest_filters(self):
        async def run(app, batch):
            batch.keep((e not in self.disabled for e in batch.event_public_ids), RejectReason.EVENT_DISABLED)

        return [IngestFilterSpec("test.enabled", run, order=20)]


async def test_disabled_event_is_409(dataplane):
    gate = OnlyEnabled()
    client, op, (a, b) = await dataplane("a", "b", extra_plugins=(gate,))
    gate.disabled.add(a)
    resp = await client.post(BASE, json={"value": 1, "event_public_id": a}, headers=op)
    assert resp.status == 409
    assert await resp.json() == {"detail": "Event is not linked to an enabled plugin instance."}
    items = [{"value": 1, "event_public_id": a}, {"value": 2, "event_public_id": b}]
    resp = await client.post(BASE + "/batch", json={"datapoints": items}, headers=op)
    assert (await resp.json())["message"] == "1 datapoints successfully created."
    assert [p["event_public_id"] for p in await all_points(client, op)] == [b]


async def test_latest_and_series(dataplane):
    client, op, (a, b, c) = await dataplane("a", "b", "c")
    now = datetime.now(UTC)
    # 600 points of a over the last 50 minutes (more than max_points), 3 of b.
    many = [
        {
            "value": float(i),
            "event_public_id": a,
            "timestamp": (now - timedelta(seconds=3000 - 5 * i)).isoformat(),
        }
        for i in range(600)
    ]
    for start in range(0, 600, 300):
        resp = await client.post(BASE + "/batch", json={"datapoints": many[start : start + 300]}, headers=op)
        assert (await resp.json())["message"] == "300 datapoints successfully created."
    few = [
        {"value": v, "event_public_id": b, "timestamp": (now - timedelta(seconds=30 - v)).isoformat()}
        for v in (1.0, 2.0, 3.0)
    ]
    await client.post(BASE + "/batch", json={"datapoints": few}, headers=op)

    latest = await (await client.get(BASE + "/latest", headers=op)).json()
    assert {p["event_public_id"]: p["value"] for p in latest} == {a: 599.0, b: 3.0}
    assert list(latest[0]) == ["public_id", "value", "timestamp", "event_public_id", "experiment_public_id"]

    body = {"event_public_ids": [a, b, c, "unknown"], "minutes": 60, "max_points": 100}
    series = await (await client.post(BASE + "/series", json=body, headers=op)).json()
    assert set(series) == {a, b, c, "unknown"}
    assert series[c] == [] and series["unknown"] == []
    assert [p["value"] for p in series[b]] == [1.0, 2.0, 3.0]
    assert 50 <= len(series[a]) <= 100
    assert sum(p["count"] for p in series[a]) == 600
    assert series[a][-1]["max"] == 599.0 and series[a][0]["min"] == 0.0
    stamps = [p["timestamp"] for p in series[a]]
    assert stamps == sorted(stamps)
    for bad in (
        {"event_public_ids": []},
        {"event_public_ids": [a] * 21},
        {"event_public_ids": [a], "minutes": 0},
        {"event_public_ids": [a], "max_points": 5},
    ):
        assert (await client.post(BASE + "/series", json=bad, headers=op)).status == 422


async def test_deleting_event_or_experiment_deletes_its_datapoints(dataplane):
    client, op, (a, b) = await dataplane("a", "b")
    await client.post("/api/v1/experiments", json={"name": "run"}, headers=op)
    exp = (await (await client.get("/api/v1/experiments", headers=op)).json())["data"][0]
    items = [{"value": 1, "event_public_id": a}, {"value": 2, "event_public_id": b}]
    await client.post(BASE + "/batch", json={"datapoints": items}, headers=op)
    points = await all_points(client, op)
    assert {p["experiment_public_id"] for p in points} == {exp["public_id"]}
    await client.put(f"/api/v1/experiments/{exp['public_id']}/stop", headers=op)
    await client.post(BASE + "/batch", json={"datapoints": items}, headers=op)
    assert sorted(p["experiment_public_id"] is None for p in await all_points(client, op)) == [0, 0, 1, 1]

    await client.delete(f"/api/v1/events/{a}", headers=op)
    assert {p["event_public_id"] for p in await all_points(client, op)} == {b}
    # The cached id of the deleted event is not used: a new point for it is refused.
    assert (await client.post(BASE, json={"value": 1, "event_public_id": a}, headers=op)).status == 404
    await client.delete(f"/api/v1/experiments/{exp['public_id']}", headers=op)
    assert [p["experiment_public_id"] for p in await all_points(client, op)] == [None]


async def test_an_event_deleted_behind_the_resolver_cache_stores_nothing(dataplane):
    from webmacs_events import events
    from webmacs_sdk.db import delete_with_references
    from webmacs_sdk.keys import DATABASE, HOST

    client, op, (a, b) = await dataplane("a", "b")
    app = client.server.app
    items = [{"value": 1, "event_public_id": a}, {"value": 2, "event_public_id": b}]
    await client.post(BASE + "/batch", json={"datapoints": items}, headers=op)  # both ids now cached
    async with app[DATABASE].transaction() as tx:
        # The deletion as another server process makes it: its rows and datapoints go, and this
        # process's resolver cache, which that process cannot reach, still holds the event's id.
        declared = app[HOST].hook().webmacs_event_referencing_tables()
        assert await delete_with_references(tx.conn, events, events.c.public_id == a, declared) == 1
    resp = await client.post(BASE + "/batch", json={"datapoints": items}, headers=op)
    assert (await resp.json())["message"] == "1 datapoints successfully created."
    assert sorted(p["value"] for p in await all_points(client, op)) == [2.0, 2.0]
    async with client.server.app[DATABASE].connect() as conn:
        orphans = await conn.exec_driver_sql(
            "SELECT count(*) FROM datapoints WHERE event_id NOT IN (SELECT id FROM events)"
        )
        assert orphans.scalar_one() == 0


async def test_list_filters_by_event_and_time_range(dataplane):
    client, op, (a, b) = await dataplane("a", "b")
    start = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    items = [
        {"value": i, "event_public_id": (a, b)[i % 2], "timestamp": (start + timedelta(minutes=i)).isoformat()}
        for i in range(10)
    ]
    assert (await client.post(BASE + "/batch", json={"datapoints": items}, headers=op)).status == 201

    async def listed(**params) -> dict:
        resp = await client.get(BASE, params={"page_size": 100, **params}, headers=op)
        assert resp.status == 200, await resp.text()
        return await resp.json()

    everything = await listed()
    assert everything["total"] == 10 and [p["value"] for p in everything["data"]] == list(range(9, -1, -1))
    only_a = await listed(event_public_id=a)
    assert only_a["total"] == 5 and {p["event_public_id"] for p in only_a["data"]} == {a}
    # Both ends are included; the page is newest first, and paging stays inside the filter.
    window = {"from": "2026-01-01T12:02:00Z", "to": "2026-01-01T13:06:00+01:00"}
    assert [p["value"] for p in (await listed(**window))["data"]] == [6, 5, 4, 3, 2]
    second = await listed(**window, event_public_id=b, page=2, page_size=1)
    assert second["total"] == 2 and [p["value"] for p in second["data"]] == [3]
    assert await listed(event_public_id="no-such-event") == {"page": 1, "page_size": 100, "total": 0, "data": []}
    for bad in ({"from": "yesterday"}, {"to": "2026-01-01T12:00:00"}, {"event_public_id": ""}):
        resp = await client.get(BASE, params=bad, headers=op)
        assert resp.status == 422 and "detail" in await resp.json(), bad
