"""Data-plane reliability: forced disconnects lose and duplicate nothing; a database outage
is a 503 (never a 500) and ingestion resumes by itself."""

from __future__ import annotations

import asyncio

import aiohttp
import asyncpg
import pytest
import sqlalchemy as sa

from webmacs_sdk.keys import DATABASE

from .conftest import PLUGINS, AckClient


async def setup(make_client, auth_headers, names=("a", "b")):
    client = await make_client(*PLUGINS)
    headers = await auth_headers(client, "operator")
    for name in names:
        body = {"name": name, "min_value": 0, "max_value": 1e6, "unit": "n", "type": "sensor"}
        assert (await client.post("/api/v1/events", json=body, headers=headers)).status == 201
    listed = await (await client.get("/api/v1/events", headers=headers)).json()
    token = headers["Authorization"].split(" ", 1)[1]
    return client, headers, token, [e["public_id"] for e in listed["data"]]


async def stored(client) -> list[float]:
    async with client.server.app[DATABASE].connect() as conn:
        return [row[0] for row in await conn.execute(sa.text("SELECT value FROM datapoints ORDER BY value"))]


async def test_ten_thousand_datapoints_survive_twenty_disconnects(make_client, auth_headers, proxy_for):
    client, _, token, events = await setup(make_client, auth_headers)
    proxy = await proxy_for(client.server.port)
    batches = {
        seq: [{"value": float(seq * 100 + i), "event_public_id": events[i % 2]} for i in range(100)]
        for seq in range(100)
    }
    url = f"ws://127.0.0.1:{proxy.port}/ws/controller/telemetry?token={token}&ack=1&controller_id=spool-1"
    sender = AckClient(url, batches, window=8)
    acked = 0

    def on_ack() -> None:
        nonlocal acked
        acked += 1
        # Cut while batches are in flight: some are committed but their ack is lost.
        if acked % 4 == 0 and proxy.cuts < 20:
            proxy.cut()

    sender.on_ack = on_ack
    await sender.run()
    assert proxy.cuts == 20 and sender.connections >= 21
    assert not sender.pending
    values = await stored(client)
    assert len(values) == 10_000, "lost or duplicated datapoints"
    assert values == [float(v) for v in range(10_000)]


async def _terminate_backends(url: str) -> int:
    database = sa.make_url(url).database
    conn = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres")
    try:
        rows = await conn.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = $1 AND pid <> pg_backend_pid()",
            database,
        )
    finally:
        await conn.close()
    return len(rows)


async def test_postgres_outage_is_503_and_ingestion_resumes(make_client, auth_headers, webmacs_database):
    if webmacs_database.kind != "postgresql":
        pytest.skip("terminates PostgreSQL server backends")
    client, headers, token, events = await setup(make_client, auth_headers)
    url = client.server.app[DATABASE].engine.url.render_as_string(hide_password=False)
    statuses: dict[int, int] = {}
    accepted = 0
    stop = asyncio.Event()

    async def killer() -> None:
        while not stop.is_set():
            await _terminate_backends(url)
            await asyncio.sleep(0.02)

    task = asyncio.create_task(killer())
    batches = {seq: [{"value": float(seq), "event_public_id": events[0]}] for seq in range(200)}
    path = f"/ws/controller/telemetry?token={token}&ack=1&controller_id=outage"
    sender = AckClient(str(client.make_url(path)).replace("http", "ws", 1), batches, window=4)
    ws_task = asyncio.create_task(sender.run(deadline=60))
    try:
        for i in range(150):
            resp = await client.post(
                "/api/v1/datapoints/batch",
                json={"datapoints": [{"value": 10_000.0 + i, "event_public_id": events[1]}]},
                headers=headers,
            )
            statuses[resp.status] = statuses.get(resp.status, 0) + 1
            if resp.status == 503:
                assert resp.headers["Retry-After"]
                assert "detail" in await resp.json()
            elif resp.status == 201:
                accepted += int((await resp.json())["message"].split()[0])
            await asyncio.sleep(0.005)
    finally:
        stop.set()
        await task
    assert set(statuses) <= {201, 503}, statuses
    assert statuses.get(503, 0) > 0, "the outage was never observed"
    # With the database back, REST and the acknowledged WebSocket recover without help.
    for _ in range(50):
        resp = await client.post(
            "/api/v1/datapoints", json={"value": 99_999.0, "event_public_id": events[1]}, headers=headers
        )
        if resp.status == 201:
            break
        await asyncio.sleep(0.1)
    assert resp.status == 201
    await asyncio.wait_for(ws_task, 60)
    assert not sender.pending
    values = await stored(client)
    ws_values = [v for v in values if v < 10_000]
    assert ws_values == [float(v) for v in range(200)], "WebSocket batches lost or duplicated"
    assert len([v for v in values if 10_000 <= v < 99_999]) == accepted


async def test_viewer_cannot_push_telemetry(make_client, auth_headers):
    client = await make_client(*PLUGINS)
    token = (await auth_headers(client, "viewer"))["Authorization"].split(" ", 1)[1]
    ws = await client.ws_connect(f"/ws/controller/telemetry?token={token}")
    msg = await ws.receive()
    assert msg.type is aiohttp.WSMsgType.CLOSE and msg.data == 1008
