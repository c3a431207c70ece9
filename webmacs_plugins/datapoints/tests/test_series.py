"""``/datapoints/series`` bucket edges (contract §2.6.7): what a chart shows at the ends of the window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

BASE = "/api/v1/datapoints"


async def test_buckets_cover_the_window_and_a_point_from_the_near_future(dataplane):
    client, op, (a, b) = await dataplane("a", "b")
    now = datetime.now(UTC)
    # 300 points of a, one every 10 s over the last 50 minutes, then one 20 s ahead (clock skew);
    # b has exactly max_points points, so it comes back raw.
    points = [(now - timedelta(seconds=3000 - 10 * i), float(i)) for i in range(300)]
    points.append((now + timedelta(seconds=20), 1000.0))
    items = [{"value": v, "event_public_id": a, "timestamp": t.isoformat()} for t, v in points]
    items += [
        {"value": float(i), "event_public_id": b, "timestamp": (now - timedelta(seconds=60 + i)).isoformat()}
        for i in range(20)
    ]
    for start in range(0, len(items), 400):
        resp = await client.post(BASE + "/batch", json={"datapoints": items[start : start + 400]}, headers=op)
        assert resp.status == 201

    body = {"event_public_ids": [a, b], "minutes": 60, "max_points": 20}
    series = await (await client.post(BASE + "/series", json=body, headers=op)).json()
    buckets = series[a]
    assert len(buckets) <= 20 and sum(p["count"] for p in buckets) == 301
    # The future point is in the newest bucket, which ends at it.
    assert buckets[-1]["max"] == 1000.0
    assert buckets[-1]["timestamp"] == (now + timedelta(seconds=20)).isoformat().replace("+00:00", "Z")
    assert buckets[0]["min"] == 0.0
    # A bucket's value is the average of its points and lies between its min and max.
    assert all(p["min"] <= p["value"] <= p["max"] for p in buckets)
    assert [p["timestamp"] for p in buckets] == sorted(p["timestamp"] for p in buckets)
    # 3-minute buckets widen to 4 minutes on the 4-minute grid (at most 16 over the hour); 50
    # minutes of data fill 13-15 of them (by where the grid falls), none with more than 24 + 1 points.
    assert 13 <= len(buckets) <= 15 and max(p["count"] for p in buckets) <= 25
    raw = series[b]
    assert [p["value"] for p in raw] == [float(i) for i in reversed(range(20))]
    assert all("count" not in p for p in raw)
