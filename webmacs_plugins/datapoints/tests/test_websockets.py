"""The telemetry and live-stream WebSockets (contract §3.3, §3.4) and the CSV export (§2.7)."""

from __future__ import annotations

import asyncio

import aiohttp
import orjson

from webmacs_health import contributed_fields
from webmacs_sdk.keys import HOST


async def token(client, role: str, auth_headers) -> str:
    return (await auth_headers(client, role))["Authorization"].split(" ", 1)[1]


async def count(client, headers) -> int:
    return (await (await client.get("/api/v1/datapoints", headers=headers)).json())["total"]


async def test_acknowledged_telemetry_and_replay(dataplane, auth_headers):
    client, op, (a, b) = await dataplane("a", "b")
    tok = await token(client, "operator", auth_headers)
    stream = await client.ws_connect(f"/ws/datapoints/stream?token={tok}")
    assert await stream.receive_json() == {
        "type": "connected",
        "message": "Subscribed to live datapoint stream.",
    }
    await stream.send_json({"type": "ping"})
    assert await stream.receive_json() == {"type": "pong"}

    ws = await client.ws_connect(f"/ws/controller/telemetry?token={tok}&ack=1&controller_id=c1")
    frame = {
        "seq": 1,
        "datapoints": [
            {"value": 1, "event_public_id": a},
            {"value": "2.5", "event_public_id": b},
            {"value": 3, "event_public_id": "unknown"},
            "junk",
            {"value": "x"},
        ],
    }
    await ws.send_str(orjson.dumps(frame).decode())
    assert await ws.receive_json() == {
        "type": "ack",
        "seq": 1,
        "accepted": 2,
        "rejected": 3,
        "duplicate": False,
    }
    live = await asyncio.wait_for(stream.receive_json(), 5)
    assert live["type"] == "datapoints_batch"
    assert [(d["value"], d["event_public_id"]) for d in live["datapoints"]] == [(1.0, a), (2.5, b)]
    assert list(live["datapoints"][0]) == ["value", "event_public_id", "timestamp", "experiment_public_id"]
    assert live["datapoints"][0]["timestamp"].endswith("+00:00")

    # The same seq again (a lost ack): acknowledged, stored once.
    await ws.send_str(orjson.dumps(frame).decode())
    assert (await ws.receive_json())["duplicate"] is True
    # ...also on a new connection of the same controller.
    await ws.close()
    ws = await client.ws_connect(f"/ws/controller/telemetry?token={tok}&ack=1&controller_id=c1")
    await ws.send_str(orjson.dumps(frame).decode())
    assert (await ws.receive_json())["seq"] == 1
    assert await count(client, op) == 2

    big = {"seq": 2, "datapoints": [{"value": 1, "event_public_id": a}] * 501}
    await ws.send_str(orjson.dumps(big).decode())
    assert await ws.receive_json() == {
        "type": "error",
        "seq": 2,
        "message": "Batch too large (501), max 500",
        "retryable": False,
    }
    bad = {
        "seq": 3,
        "datapoints": [{"value": "nan", "event_public_id": a}, {"value": [1], "event_public_id": a}],
    }
    await ws.send_str(orjson.dumps(bad).decode())
    assert await ws.receive_json() == {
        "type": "error",
        "seq": 3,
        "message": "No valid datapoints in batch",
        "retryable": False,
    }
    await ws.send_str('{"seq": 4, "datapoints": [{"value": 1e400, "event_public_id": "x"}]}')
    closed = await ws.receive()
    assert closed.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert await count(client, op) == 2
    await stream.close()


async def test_upstream_protocol_and_rejections(dataplane, auth_headers):
    client, op, (a,) = await dataplane("a")
    tok = await token(client, "operator", auth_headers)
    ws = await client.ws_connect(f"/ws/controller/telemetry?token={tok}")
    await ws.send_json({"datapoints": [{"value": 1, "event_public_id": a, "seq": 9}]})
    await ws.send_json({"datapoints": []})
    await ws.send_json({"type": "ping"})
    await ws.send_json({"datapoints": [{"value": "no"}]})
    assert await ws.receive_json() == {"type": "error", "message": "No valid datapoints in batch"}
    await ws.send_str("[1, 2]")
    assert (await ws.receive()).type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert await count(client, op) == 1

    ws = await client.ws_connect(f"/ws/controller/telemetry?token={tok}")
    await ws.send_str("not json")
    assert (await ws.receive()).type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    ws = await client.ws_connect(f"/ws/controller/telemetry?token={tok}")
    await ws.send_str(
        '{"datapoints": [' + ",".join([f'{{"value": 1, "event_public_id": "{a}"}}'] * 4000) + "]}"
    )
    msg = await ws.receive()
    assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED) and ws.close_code == 1009

    viewer = await token(client, "viewer", auth_headers)
    ws = await client.ws_connect(f"/ws/controller/telemetry?token={viewer}")
    msg = await ws.receive()
    assert msg.type is aiohttp.WSMsgType.CLOSE and msg.data == 1008
    ws = await client.ws_connect("/ws/datapoints/stream?token=garbage")
    assert (await ws.receive()).data == 1008
    assert await count(client, op) == 1


async def test_slow_dashboard_is_cut_off_without_slowing_ingestion(dataplane, auth_headers):
    client, _op, (a,) = await dataplane("a")
    tok = await token(client, "operator", auth_headers)
    app = client.server.app
    bus = app[HOST].live_bus
    slow = await client.ws_connect(f"/ws/datapoints/stream?token={tok}")  # never reads
    fast = await client.ws_connect(f"/ws/datapoints/stream?token={tok}")
    await fast.receive_json()
    ws = await client.ws_connect(f"/ws/controller/telemetry?token={tok}&ack=1&controller_id=x")
    payload = [{"value": float(i), "event_public_id": a, "label": "x" * 200} for i in range(500)]
    received = 0
    for seq in range(1, 700):
        await ws.send_str(orjson.dumps({"seq": seq, "datapoints": payload}).decode())
        assert (await asyncio.wait_for(ws.receive_json(), 10))["type"] == "ack"
        while True:
            try:
                frame = await asyncio.wait_for(fast.receive_json(), 0.001)
            except TimeoutError:
                break
            received += len(frame.get("datapoints", []))
        if bus.subscriber_count("datapoints") == 1:
            break
    assert bus.subscriber_count("datapoints") == 1, "the slow dashboard was never cut off"
    while received < seq * 500:
        frame = await asyncio.wait_for(fast.receive_json(), 5)
        received += len(frame["datapoints"])
    assert received == seq * 500
    await slow.close()


async def test_csv_export_streams_contract_format(dataplane, auth_headers):
    client, op, (a,) = await dataplane("a")
    weird = {
        "name": "=cmd|' /C calc'!A0",
        "min_value": -1e20,
        "max_value": 1e20,
        "unit": '-x, "q"',
        "type": "sensor",
    }
    await client.post("/api/v1/events", json=weird, headers=op)
    events = (await (await client.get("/api/v1/events", headers=op)).json())["data"]
    w = next(e["public_id"] for e in events if e["name"].startswith("="))
    await client.post("/api/v1/experiments", json={"name": "run 1/b"}, headers=op)
    exp = (await (await client.get("/api/v1/experiments", headers=op)).json())["data"][0]
    values = [42.5, 2.0, -3.0, 1e-05, 1e15, 1.5e15, 1234567890123456.8, 1e16, -0.1, 123456789012345.6, 0.0]
    items = [
        {
            "value": v,
            "event_public_id": a if i % 2 else w,
            "timestamp": f"2025-01-15T14:32:{10 + i:02d}{'.123456' if i % 3 else ''}+00:00",
        }
        for i, v in enumerate(values)
    ]
    resp = await client.post("/api/v1/datapoints/batch", json={"datapoints": items}, headers=op)
    assert (await resp.json())["message"] == f"{len(values)} datapoints successfully created."

    viewer = await auth_headers(client, "viewer")
    resp = await client.get(f"/api/v1/experiments/{exp['public_id']}/export/csv", headers=viewer)
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert resp.headers["Content-Disposition"] == (
        f'attachment; filename="experiment_run_1-b_{exp["public_id"][:8]}.csv"'
    )
    body = await resp.read()
    lines = body.split(b"\r\n")
    assert lines[0] == b"timestamp,event_name,event_public_id,value,unit,datapoint_public_id"
    assert lines[-1] == b"" and b"\n" not in body.replace(b"\r\n", b"")
    rows = lines[1:-1]
    assert len(rows) == len(values)
    points = {
        p["value"]: p["public_id"]
        for p in (
            await (await client.get("/api/v1/datapoints", params={"page_size": 100}, headers=op)).json()
        )["data"]
    }
    for i, (line, value) in enumerate(zip(rows, values, strict=True)):
        stamp = f"2025-01-15T14:32:{10 + i:02d}{'.123456' if i % 3 else ''}+00:00"
        if i % 2:
            expected = f"{stamp},a,{a},{value!r},V,{points[value]}"
        else:
            expected = f'{stamp},\'=cmd|\' /C calc\'!A0,{w},{value!r},"\'-x, ""q""",{points[value]}'
        assert line.decode() == expected
    missing = await client.get("/api/v1/experiments/nope/export/csv", headers=viewer)
    assert missing.status == 404 and await missing.json() == {"detail": "Experiment 'nope' not found."}
    await client.post("/api/v1/experiments", json={"name": "empty"}, headers=op)
    await client.put(f"/api/v1/experiments/{exp['public_id']}/stop", headers=op)
    await client.post("/api/v1/experiments", json={"name": "empty2"}, headers=op)
    empty = next(
        e
        for e in (await (await client.get("/api/v1/experiments", headers=op)).json())["data"]
        if e["name"] == "empty2"
    )
    resp = await client.get(f"/api/v1/experiments/{empty['public_id']}/export/csv", headers=viewer)
    assert await resp.read() == b"timestamp,event_name,event_public_id,value,unit,datapoint_public_id\r\n"


async def test_health_reports_last_datapoint(dataplane):
    client, op, (a,) = await dataplane("a")
    await client.post("/api/v1/datapoints", json={"value": 1, "event_public_id": a}, headers=op)
    stored = (await (await client.get("/api/v1/datapoints", headers=op)).json())["data"][0]["timestamp"]
    for _ in range(50):
        health = await contributed_fields(client.server.app)
        if health.get("last_datapoint") == stored:
            break
        await asyncio.sleep(0.02)
    assert health["last_datapoint"] == stored
