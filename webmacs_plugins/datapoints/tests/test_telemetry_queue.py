"""The telemetry socket reads ahead of storage: frames without seq that queue up during a slow
commit are stored together, in order; acknowledged frames and replies keep their order."""

from __future__ import annotations

import asyncio

import orjson

from webmacs_datapoints import telemetry


async def token(client, auth_headers) -> str:
    return (await auth_headers(client, "operator"))["Authorization"].split(" ", 1)[1]


def slowed(monkeypatch, sizes: list[int]) -> None:
    real = telemetry.ingest

    async def slow_ingest(app, columns, **kwargs):
        sizes.append(len(columns))
        await asyncio.sleep(0.05)
        return await real(app, columns, **kwargs)

    monkeypatch.setattr(telemetry, "ingest", slow_ingest)


async def test_frames_queued_during_a_slow_commit_are_stored_together_in_order(
    dataplane, auth_headers, monkeypatch
):
    client, _op, (a,) = await dataplane("a")
    tok = await token(client, auth_headers)
    sizes: list[int] = []
    slowed(monkeypatch, sizes)
    stream = await client.ws_connect(f"/ws/datapoints/stream?token={tok}")
    await stream.receive_json()
    ws = await client.ws_connect(f"/ws/controller/telemetry?token={tok}")
    for frame in range(30):
        items = [{"value": float(frame * 10 + i), "event_public_id": a} for i in range(10)]
        await ws.send_str(orjson.dumps({"datapoints": items}).decode())
    values: list[float] = []
    while len(values) < 300:
        live = await asyncio.wait_for(stream.receive_json(), 5)
        values += [d["value"] for d in live["datapoints"]]
    assert values == [float(v) for v in range(300)]
    assert sum(sizes) == 300 and len(sizes) < 30, sizes
    assert max(sizes) <= telemetry.MERGE_LIMIT
    await ws.close()
    await stream.close()


async def test_acknowledged_frames_are_stored_one_by_one_and_replies_keep_their_order(
    dataplane, auth_headers, monkeypatch
):
    client, _op, (a,) = await dataplane("a")
    tok = await token(client, auth_headers)
    sizes: list[int] = []
    slowed(monkeypatch, sizes)
    ws = await client.ws_connect(f"/ws/controller/telemetry?token={tok}&ack=1&controller_id=q")
    for seq in range(1, 6):
        await ws.send_str(orjson.dumps({"seq": seq, "datapoints": [{"value": seq, "event_public_id": a}]}).decode())
    await ws.send_str(orjson.dumps({"seq": 6, "datapoints": [{"value": "x", "event_public_id": a}]}).decode())
    await ws.send_str(orjson.dumps({"seq": 7, "datapoints": []}).decode())
    replies = [await asyncio.wait_for(ws.receive_json(), 5) for _ in range(7)]
    assert [(r["type"], r["seq"]) for r in replies] == [("ack", s) for s in range(1, 6)] + [
        ("error", 6),
        ("ack", 7),
    ]
    assert sizes == [1, 1, 1, 1, 1]
    # A protocol violation closes the connection only after what came before it was answered.
    await ws.send_str(orjson.dumps({"seq": 8, "datapoints": [{"value": 8, "event_public_id": a}]}).decode())
    await ws.send_str("not json")
    assert (await asyncio.wait_for(ws.receive_json(), 5))["seq"] == 8
    closed = await ws.receive()
    assert ws.close_code == 1007, closed
