"""Threshold crossed on real ingestion → the rule fires once per cooldown → a real local receiver
gets one correctly signed POST (both schemes), with the contract's payload."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from webmacs_sdk import DATABASE

PLUGINS = ("users", "auth", "events", "experiments", "datapoints", "rules", "webhooks")
ALLOW_LOCAL = {"WEBMACS_EGRESS_ALLOW": "127.0.0.1/32"}


async def test_threshold_to_signed_webhook(make_client, auth_headers, probe, receiver_factory, h) -> None:  # type: ignore[no-untyped-def]
    receiver = await receiver_factory("whsec-automation")
    client = await make_client(*PLUGINS, probe, env=ALLOW_LOCAL)
    admin = await auth_headers(client, "admin")
    op = await auth_headers(client, "operator")
    event_id = await h.make_event(client, op, "Boiler", unit="C")
    hook_id = await h.create_webhook(
        client, admin, receiver.url, ["sensor.threshold_exceeded"], "whsec-automation"
    )
    rule = {
        "name": "Boiler high",
        "event_public_id": event_id,
        "operator": "gt",
        "threshold": 200,
        "action_type": "webhook",
        "cooldown_seconds": 3600,
    }
    assert (await client.post("/api/v1/rules", json=rule, headers=op)).status == 201

    await h.ingest(client, op, event_id, [150.0, 215.3, 220.0, 230.0])
    await h.ingest(client, op, event_id, [240.0, 250.0])
    await probe.wait(2)
    await h.until(lambda: receiver.processed, what="the webhook")
    rows = await h.until(lambda: _delivered(client, admin, hook_id, h), what="delivered state")

    assert len(rows) == 1, "one firing per cooldown, hence one delivery"
    assert len(receiver.hits) == 1 and receiver.hits[0].status == 200
    hit = receiver.hits[0]
    assert hit.message_id == rows[0]["public_id"]
    assert hit.headers["X-Webhook-Signature"] and hit.headers["webhook-signature"].startswith("v1,")
    payload = json.loads(hit.body)
    assert list(payload) == [
        "type",
        "time",
        "sensor",
        "value",
        "rule",
        "operator",
        "threshold",
        "threshold_high",
        "sensor_name",
        "unit",
    ]
    assert payload["type"] == "sensor.threshold_exceeded" and payload["time"].endswith("+00:00")
    assert (
        payload["sensor"],
        payload["value"],
        payload["rule"],
        payload["operator"],
        payload["threshold"],
    ) == (event_id, 215.3, "Boiler high", "gt", 200.0)
    assert (payload["sensor_name"], payload["unit"], payload["threshold_high"]) == ("Boiler", "C", None)
    assert hit.body == json.dumps(payload).encode()

    got = await (await client.get("/api/v1/rules", headers=op)).json()
    assert got["data"][0]["last_triggered_at"] is not None


async def _delivered(client, admin, hook_id, h):  # type: ignore[no-untyped-def]
    rows = await h.deliveries(client, admin, hook_id)
    return rows if rows and all(r["status"] == "delivered" for r in rows) else None


async def test_flapping_sensor_with_hysteresis_and_duration_posts_once(  # type: ignore[no-untyped-def]
    make_client, auth_headers, probe, receiver_factory, h
) -> None:
    receiver = await receiver_factory("k")
    client = await make_client(*PLUGINS, probe, env=ALLOW_LOCAL)
    admin = await auth_headers(client, "admin")
    op = await auth_headers(client, "operator")
    event_id = await h.make_event(client, op, "Level")
    hook_id = await h.create_webhook(client, admin, receiver.url, ["sensor.threshold_exceeded"], "k")
    rule = {
        "name": "Level high",
        "event_public_id": event_id,
        "operator": "gt",
        "threshold": 100,
        "action_type": "webhook",
        "cooldown_seconds": 0,
        "hysteresis": 2.0,
        "min_duration_seconds": 3,
    }
    assert (await client.post("/api/v1/rules", json=rule, headers=op)).status == 201
    signal = [99, 101, 99, 101, 102, 103, 104, 105, 99.5, 101, 102, 103, 104, 98.5, 101, 99, 100.5, 99.9]
    start = datetime.now(UTC) - timedelta(seconds=120)
    # in three batches, to cross batch boundaries as a real controller would
    await h.ingest(client, op, event_id, signal[:5], start=start)
    await h.ingest(client, op, event_id, signal[5:11], start=start + timedelta(seconds=5))
    await h.ingest(client, op, event_id, signal[11:], start=start + timedelta(seconds=11))
    await probe.wait(3)
    await h.until(lambda: receiver.processed, what="the webhook")
    async with client.server.app[DATABASE].connect() as conn:
        outbox = (await conn.execute(sa.text("SELECT count(*) FROM webhook_deliveries"))).scalar_one()
    assert outbox == 1
    payload = json.loads(receiver.hits[0].body)
    assert payload["value"] == 104  # the reading at which the condition had held for 3 s
    rows = await h.until(lambda: _delivered(client, admin, hook_id, h), what="delivered state")
    assert len(rows) == 1
