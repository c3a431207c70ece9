"""CSV export cells that the fast SQL formatting must get exactly right (contract §2.7)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


async def test_csv_cells_match_python_isoformat_and_repr(dataplane):
    client, op, (a,) = await dataplane("a")
    await client.post("/api/v1/experiments", json={"name": "cells"}, headers=op)
    exp = (await (await client.get("/api/v1/experiments", headers=op)).json())["data"][0]
    base = datetime(2025, 1, 15, 14, 32, 10, tzinfo=UTC)
    # Fractions that end in zeros (PostgreSQL's text form would drop them), none, and a full one.
    micros = [0, 120000, 100000, 10, 500000, 999990, 123456, 1, 100]
    values = [0.0, 7.0, -123.0, 0.1, 1e-07, -2.5e-05, 99999999999999.9, 1e22, -1.5e300]
    stamps = [base + timedelta(seconds=i, microseconds=us) for i, us in enumerate(micros)]
    items = [
        {"value": values[i % len(values)], "event_public_id": a, "timestamp": stamp.isoformat()}
        for i, stamp in enumerate(stamps)
    ]
    resp = await client.post("/api/v1/datapoints/batch", json={"datapoints": items}, headers=op)
    assert (await resp.json())["message"] == f"{len(items)} datapoints successfully created."

    resp = await client.get(f"/api/v1/experiments/{exp['public_id']}/export/csv", headers=op)
    rows = (await resp.read()).decode().split("\r\n")[1:-1]
    got = [(row.split(",")[0], row.split(",")[3]) for row in rows]
    assert got == [(s.isoformat(), repr(values[i % len(values)])) for i, s in enumerate(stamps)]
