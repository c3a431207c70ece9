"""Compaction into ``datapoint_chunks`` (PostgreSQL): every read answers the same before and after."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from webmacs_datapoints import export, queries
from webmacs_datapoints.compaction import Grid, chart_grid, compact, window_width
from webmacs_datapoints.settings import DatapointsSettings
from webmacs_sdk.keys import DATABASE, HOST

BASE = "/api/v1/datapoints"


@pytest.fixture
def postgres_only(webmacs_database):
    if webmacs_database.kind != "postgresql":
        pytest.skip("chunks exist on PostgreSQL only")


async def post(client, headers, items) -> None:
    for start in range(0, len(items), 500):
        resp = await client.post(BASE + "/batch", json={"datapoints": items[start : start + 500]}, headers=headers)
        assert resp.status == 201, await resp.text()


async def compact_before(client, before: datetime) -> int:
    app = client.server.app
    return await compact(app[DATABASE], app[HOST].section(DatapointsSettings), before=before)


async def stored(client) -> tuple[int, int]:
    """(plain rows, points in chunks)."""
    async with client.server.app[DATABASE].connect() as conn:
        rows = (await conn.exec_driver_sql("SELECT count(*) FROM datapoints")).scalar_one()
        chunked = (await conn.exec_driver_sql("SELECT coalesce(sum(n), 0) FROM datapoint_chunks")).scalar_one()
    return int(rows), int(chunked)


async def everything(client, headers, events: list[str], experiment: str, now: datetime) -> dict[str, object]:
    """Every read of the API over the stored points (series at a fixed end, so the buckets compare)."""
    listed = []
    page = 1
    while True:
        body = await (await client.get(BASE, params={"page": page, "page_size": 37}, headers=headers)).json()
        listed.append(body)
        if page * 37 >= body["total"]:
            break
        page += 1
    points = [p for body in listed for p in body["data"]]
    # One event over a window that crosses the half-way compaction and chunk edges, paged.
    chosen = {"event_public_id": events[1], "from": (now - timedelta(minutes=150)).isoformat(),
              "to": (now - timedelta(minutes=30)).isoformat(), "page_size": 29}
    filtered = []
    for page in range(1, 11):
        body = await (await client.get(BASE, params={**chosen, "page": page}, headers=headers)).json()
        filtered.append(body)
    by_id = [await (await client.get(f"{BASE}/{p['public_id']}", headers=headers)).json() for p in points[::9]]
    series = {}
    for minutes, max_points in ((180, 2000), (180, 40), (60, 10), (25, 500), (14400, 100)):
        async with client.server.app[DATABASE].connect() as conn:
            series[(minutes, max_points)] = await queries.series(
                conn, [*events, "unknown"], minutes, max_points, grid_seconds=60, end=now
            )
    latest = await (await client.get(BASE + "/latest", headers=headers)).json()
    csv = await (await client.get(f"/api/v1/experiments/{experiment}/export/csv", headers=headers)).read()
    return {"listed": listed, "filtered": filtered, "by_id": by_id, "series": series, "latest": latest, "csv": csv}


def same_series(before: dict, after: dict) -> None:
    """Bucket averages are sums in another order: equal to the last bits, not bit for bit."""
    assert before.keys() == after.keys()
    for key, events in before.items():
        for event, old in events.items():
            new = after[key][event]
            assert [{**p, "value": pytest.approx(p["value"])} for p in old] == new, (key, event)


async def test_every_read_is_unchanged_by_compaction(postgres_only, dataplane, monkeypatch):
    # Small export slices: the compacted experiment is exported in many, by both connections.
    monkeypatch.setattr(export, "SLICE_POINTS", 25)
    client, op, events = await dataplane("a", "b", "c", env={"WEBMACS_CHUNK_MAX_POINTS": "50"})
    now = datetime.now(UTC)
    # Three hours of three events at different rates, in time order as a controller would
    # send them; the middle hour is tagged by an experiment.
    def items(start: int, end: int) -> list[dict]:
        return [
            {"value": (i * 7 % 101) / 3 - 10, "event_public_id": events[i % 3],
             "timestamp": (now - timedelta(seconds=10_800 - 9 * i - (i % 3))).isoformat()}
            for i in range(start, end)
        ]

    await post(client, op, items(0, 400))
    await client.post("/api/v1/experiments", json={"name": "middle hour"}, headers=op)
    experiment = (await (await client.get("/api/v1/experiments", headers=op)).json())["data"][0]["public_id"]
    await post(client, op, items(400, 800))
    await client.put(f"/api/v1/experiments/{experiment}/stop", headers=op)
    await post(client, op, items(800, 1200))

    before = await everything(client, op, events, experiment, now)
    assert before["csv"].count(b"\r\n") == 401 and before["listed"][0]["total"] == 1200
    shown = [p for body in before["filtered"] for p in body["data"]]  # type: ignore[attr-defined]
    assert before["filtered"][0]["total"] == len(shown) == 266  # type: ignore[index]
    assert {p["event_public_id"] for p in shown} == {events[1]}

    # Half of it (older than 90 minutes ago), then the rest.
    assert await compact_before(client, now - timedelta(minutes=90)) == 600
    assert await stored(client) == (600, 600)
    half = await everything(client, op, events, experiment, now)
    assert await compact_before(client, now + timedelta(minutes=1)) == 600
    assert await stored(client) == (0, 1200)
    after = await everything(client, op, events, experiment, now)

    for state in (half, after):
        assert state["listed"] == before["listed"]
        assert state["filtered"] == before["filtered"]
        assert state["by_id"] == before["by_id"]
        assert state["latest"] == before["latest"]
        assert state["csv"] == before["csv"]
        same_series(before["series"], state["series"])  # type: ignore[arg-type]
    # Long windows use the chunks' aggregates; the buckets still count every point.
    buckets = after["series"][(14400, 100)][events[0]]  # type: ignore[index]
    assert sum(p["count"] for p in buckets) == 400


async def test_chunks_are_small_and_split_by_window_and_size(postgres_only, dataplane):
    client, op, (a,) = await dataplane("a", env={
        "WEBMACS_CHUNK_MAX_POINTS": "4", "WEBMACS_CHUNK_SECONDS": "60", "WEBMACS_CHUNK_TARGET_POINTS": "1",
    })
    start = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    # 10 points in the first minute, 3 in the second.
    stamps = [start + timedelta(seconds=5 * i) for i in range(10)]
    stamps += [start + timedelta(seconds=61 + i) for i in range(3)]
    # Sent newest first: the chunks still hold their points in time order.
    await post(client, op, [{"value": float(i), "event_public_id": a, "timestamp": t.isoformat()}
                            for i, t in reversed(list(enumerate(stamps)))])
    assert await compact_before(client, start + timedelta(hours=1)) == 13
    async with client.server.app[DATABASE].connect() as conn:
        chunks = (await conn.exec_driver_sql(
            "SELECT bin, n, first_ts, last_ts, vmin, vmax, vsum, last_value FROM datapoint_chunks ORDER BY first_ts"
        )).all()
    assert [(c.bin, c.n) for c in chunks] == [
        (start, 4), (start, 4), (start, 2), (start + timedelta(minutes=1), 3)
    ]
    async with client.server.app[DATABASE].connect() as conn:
        arrays = (await conn.exec_driver_sql("SELECT tss, vals FROM datapoint_chunks ORDER BY first_ts")).all()
    assert [v for row in arrays for v in row.vals] == [float(i) for i in range(13)]
    assert [t for row in arrays for t in row.tss] == stamps
    assert [(c.vmin, c.vmax, c.vsum, c.last_value) for c in chunks] == [
        (0.0, 3.0, 6.0, 3.0), (4.0, 7.0, 22.0, 7.0), (8.0, 9.0, 17.0, 9.0), (10.0, 12.0, 33.0, 12.0)
    ]


async def test_deleting_compacted_points_and_late_arrivals(postgres_only, dataplane):
    client, op, (a, b) = await dataplane("a", "b")
    now = datetime.now(UTC)
    stamps = [now - timedelta(minutes=30, seconds=i) for i in range(5)]
    await post(client, op, [{"value": float(i), "event_public_id": a, "timestamp": t.isoformat()}
                            for i, t in enumerate(stamps)])
    await compact_before(client, now)
    points = (await (await client.get(BASE, headers=op)).json())["data"]
    newest, rest = points[0], points[1:]
    assert newest["value"] == 0.0

    # Deleting the newest compacted point: gone from every read, and /latest moves back one.
    assert (await client.delete(f"{BASE}/{newest['public_id']}", headers=op)).status == 200
    assert (await client.get(f"{BASE}/{newest['public_id']}", headers=op)).status == 404
    assert (await client.delete(f"{BASE}/{newest['public_id']}", headers=op)).status == 404
    latest = await (await client.get(BASE + "/latest", headers=op)).json()
    assert [(p["public_id"], p["value"]) for p in latest] == [(rest[0]["public_id"], 1.0)]
    assert (await (await client.get(BASE, headers=op)).json())["data"] == rest

    # A late point for the compacted window becomes its own chunk; reads merge both.
    late = now - timedelta(minutes=30, seconds=2, milliseconds=500)
    await post(client, op, [{"value": 99.0, "event_public_id": a, "timestamp": late.isoformat()},
                            {"value": 5.0, "event_public_id": b, "timestamp": now.isoformat()}])
    await compact_before(client, now)
    assert await stored(client) == (1, 5)
    values = [p["value"] for p in (await (await client.get(BASE, headers=op)).json())["data"]]
    assert values == [5.0, 1.0, 2.0, 99.0, 3.0, 4.0]

    # Deleting every point of a chunk removes the chunk.
    for point in rest:
        assert (await client.delete(f"{BASE}/{point['public_id']}", headers=op)).status == 200
    async with client.server.app[DATABASE].connect() as conn:
        left = (await conn.exec_driver_sql("SELECT n, vmax FROM datapoint_chunks")).all()
    assert [tuple(r) for r in left] == [(1, 99.0)]


async def test_deleting_an_event_or_experiment_removes_its_chunks(postgres_only, dataplane):
    client, op, (a, b) = await dataplane("a", "b")
    admin = op
    await client.post("/api/v1/experiments", json={"name": "run"}, headers=op)
    experiment = (await (await client.get("/api/v1/experiments", headers=op)).json())["data"][0]["public_id"]
    now = datetime.now(UTC)
    await post(client, op, [{"value": 1.0, "event_public_id": e, "timestamp": (now - timedelta(hours=1)).isoformat()}
                            for e in (a, b)])
    await compact_before(client, now)
    assert await stored(client) == (0, 2)
    resp = await client.delete(f"/api/v1/experiments/{experiment}", headers=admin)
    assert resp.status == 200, await resp.text()
    assert await stored(client) == (0, 0)


def test_chart_buckets_lie_on_the_chunk_grid():
    start = datetime(2026, 1, 1, 0, 0, 7, tzinfo=UTC)
    # 10 days in at most 1,000 buckets: 864 s widen to the widest (16-minute) window, laid from
    # a multiple of 16 minutes; 20 days: 1,728 s widen to two of them.
    grid = chart_grid(start, start + timedelta(days=10), 1000, 60)
    assert grid == Grid(datetime(2026, 1, 1, tzinfo=UTC), timedelta(minutes=16), 901)
    grid = chart_grid(start, start + timedelta(days=20), 1000, 60)
    assert grid == Grid(datetime(2026, 1, 1, tzinfo=UTC), timedelta(minutes=32), 901)
    # An hour in 20: 3 minutes widen to 4 (a power-of-two multiple of the base window).
    grid = chart_grid(start, start + timedelta(hours=1), 20, 60)
    assert grid == Grid(datetime(2026, 1, 1, tzinfo=UTC), timedelta(minutes=4), 16)
    # Buckets narrower than the base window stay as asked.
    assert chart_grid(start, start + timedelta(hours=1), 500, 60) == Grid(start, timedelta(seconds=7.2), 500)


def test_slow_events_get_wider_chunk_windows():
    settings = DatapointsSettings(chunk_seconds=60, chunk_target_points=32)
    assert window_width(settings, 1000, timedelta(seconds=1000)) == 60
    assert window_width(settings, 100, timedelta(seconds=400)) == 240
    assert window_width(settings, 100, timedelta(hours=1)) == 960
    assert window_width(settings, 1, timedelta(0)) == 960


async def test_the_background_job_compacts_settled_rows(postgres_only, dataplane):
    client, op, (a,) = await dataplane(
        "a", env={"WEBMACS_COMPACT_INTERVAL_SECONDS": "0.2", "WEBMACS_COMPACT_AFTER_SECONDS": "60"}
    )
    now = datetime.now(UTC)
    # Two hours old: settled. Now: younger than the hold period, stays a plain row.
    await post(client, op, [
        *({"value": float(i), "event_public_id": a, "timestamp": (now - timedelta(hours=2, seconds=i)).isoformat()}
          for i in range(20)),
        {"value": 99.0, "event_public_id": a, "timestamp": now.isoformat()},
    ])
    for _ in range(100):
        if await stored(client) == (1, 20):
            break
        await asyncio.sleep(0.1)
    assert await stored(client) == (1, 20)
    latest = await (await client.get(BASE + "/latest", headers=op)).json()
    assert [p["value"] for p in latest] == [99.0]


def expected_csv(points: list[dict], events: dict[str, tuple[str, str]]) -> bytes:
    """The export as the contract writes it, by Python's csv module, from the API's points."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["timestamp", "event_name", "event_public_id", "value", "unit", "datapoint_public_id"])
    for p in sorted(points, key=lambda p: p["timestamp"]):
        name, unit = events[p["event_public_id"]]
        stamp = datetime.fromisoformat(p["timestamp"].replace("Z", "+00:00")).isoformat()
        cells = [export.neutralise(name), p["event_public_id"], repr(p["value"]), export.neutralise(unit)]
        writer.writerow([stamp, *cells, p["public_id"]])
    return buffer.getvalue().encode()


async def test_csv_of_compacted_experiments_follows_renames_and_deletions(postgres_only, dataplane, monkeypatch):
    monkeypatch.setattr(export, "SLICE_POINTS", 7)
    names = ["plain", "=HYPERLINK(x)", 'say "hi", then\r\nbreak', "back\\slash\ttab"]
    client, op, ids = await dataplane(*names)
    await client.post("/api/v1/experiments", json={"name": "cells"}, headers=op)
    experiment = (await (await client.get("/api/v1/experiments", headers=op)).json())["data"][0]["public_id"]
    now = datetime.now(UTC)
    values = [0.0, -1.5, 1e22, 1234567890123456.0, 0.1, 7.0, -2.5e-05, 3.0]
    await post(client, op, [
        {"value": values[i % len(values)], "event_public_id": ids[i % 4],
         "timestamp": (now - timedelta(minutes=40, seconds=-i * 13, microseconds=i * 70_001)).isoformat()}
        for i in range(60)
    ])
    events = {event: (name, "V") for event, name in zip(ids, names, strict=True)}

    async def exported() -> bytes:
        resp = await client.get(f"/api/v1/experiments/{experiment}/export/csv", headers=op)
        assert resp.status == 200
        return await resp.read()

    async def points() -> list[dict]:
        return (await (await client.get(BASE, params={"page_size": 100}, headers=op)).json())["data"]

    before = await exported()
    assert before == expected_csv(await points(), events)
    assert await compact_before(client, now) == 60
    async with client.server.app[DATABASE].connect() as conn:
        sql = "SELECT count(*) FROM datapoint_chunks WHERE csv_heads IS NULL"
        unrendered = (await conn.exec_driver_sql(sql)).scalar()
    assert unrendered == 0
    assert await exported() == before

    # Renamed events (a unit emptied, one that CSV quotes): their chunks have the old cells.
    for event, name, unit in ((ids[0], "-renamed, again", ""), (ids[1], "°C", '+°C, "raw"')):
        resp = await client.put(f"/api/v1/events/{event}", json={"name": name, "unit": unit}, headers=op)
        assert resp.status == 200, await resp.text()
        events[event] = (name, unit)
    renamed = await exported()
    assert renamed == expected_csv(await points(), events)
    # ... and back: the stored cells are current again.
    for event, name in zip(ids[:2], names[:2], strict=True):
        await client.put(f"/api/v1/events/{event}", json={"name": name, "unit": "V"}, headers=op)
        events[event] = (name, "V")
    assert await exported() == before

    # A point deleted from a chunk leaves every other row as it was; a late point joins in order.
    gone = (await points())[10]
    assert (await client.delete(f"{BASE}/{gone['public_id']}", headers=op)).status == 200
    late = now - timedelta(minutes=39, seconds=30, microseconds=5)
    await post(client, op, [{"value": 42.0, "event_public_id": ids[3], "timestamp": late.isoformat()}])
    after = await exported()
    assert after == expected_csv(await points(), events)
    assert gone["public_id"].encode() not in after and after.count(b"\r\n") == before.count(b"\r\n")
