"""Cross-plugin behaviour: deleting a user hands rules and dashboards to the successor,
``sensor.reading`` webhooks sample committed datapoints, and two servers on one database fire a
rule once per cooldown."""

from __future__ import annotations

import asyncio
import json

import sqlalchemy as sa

from webmacs_sdk import DATABASE
from webmacs_webhooks.runtime import runtime

PLUGINS = ("users", "auth", "events", "experiments", "datapoints", "rules", "webhooks", "dashboards")


async def test_deleting_a_user_keeps_their_rules_and_dashboards(make_client, auth_headers, h) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(*PLUGINS)
    admin = await auth_headers(client, "admin")
    op = await auth_headers(client, "operator")
    event_id = await h.make_event(client, op, "Owned")
    rule = {
        "name": "Theirs",
        "event_public_id": event_id,
        "operator": "gt",
        "threshold": 1,
        "action_type": "log",
    }
    assert (await client.post("/api/v1/rules", json=rule, headers=op)).status == 201
    board = await (await client.post("/api/v1/dashboards", json={"name": "Theirs"}, headers=op)).json()
    me = await (await client.get("/api/v1/auth/me", headers=op)).json()
    admin_me = await (await client.get("/api/v1/auth/me", headers=admin)).json()

    resp = await client.delete(f"/api/v1/users/{me['public_id']}", headers=admin)
    assert resp.status == 200, await resp.text()
    rules = await (await client.get("/api/v1/rules", headers=admin)).json()
    assert [(r["name"], r["user_public_id"]) for r in rules["data"]] == [("Theirs", admin_me["public_id"])]
    got = await (await client.get(f"/api/v1/dashboards/{board['public_id']}", headers=admin)).json()
    assert got["user_public_id"] == admin_me["public_id"]


class Clock:
    """A monotonic clock the test moves forward itself, so sampling does not depend on how fast a
    loaded machine ingests."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_sensor_reading_webhooks_are_sampled(  # type: ignore[no-untyped-def]
    make_client, auth_headers, probe, receiver_factory, h
) -> None:
    receiver = await receiver_factory("r")
    env = {"WEBMACS_EGRESS_ALLOW": "127.0.0.1/32", "WEBMACS_WEBHOOK_READING_INTERVAL_SECONDS": "5"}
    client = await make_client(*PLUGINS, probe, env=env)
    clock = runtime(client.server.app).clock = Clock()
    admin = await auth_headers(client, "admin")
    op = await auth_headers(client, "operator")
    first = await h.make_event(client, op, "Flow", unit="l/min")
    second = await h.make_event(client, op, "Temp", unit="C")
    hook = await h.create_webhook(client, admin, receiver.url, ["sensor.reading"], "r")
    # Sampling reads the clock when a committed batch is announced, so each batch is awaited first.
    for round_ in range(3):
        await h.ingest(client, op, first, [1.0 + round_, 2.0 + round_])
        await h.ingest(client, op, second, [20.0 + round_])
        await probe.wait(2 * round_ + 2)
        clock.now += 1.0  # rounds within one interval
    # Every batch went through the sampling, so the outbox holds all it ever will of them.
    assert len(await h.deliveries(client, admin, hook)) == 2
    await h.until(lambda: len(receiver.processed) >= 2, what="two readings")
    payloads = [json.loads(hit.body) for hit in receiver.hits]
    assert sorted((p["sensor"], p["value"]) for p in payloads) == sorted([(first, 2.0), (second, 20.0)])
    flow = next(p for p in payloads if p["sensor"] == first)
    assert list(flow) == ["type", "time", "sensor", "value", "sensor_name", "unit"]
    assert (flow["type"], flow["sensor_name"], flow["unit"]) == ("sensor.reading", "Flow", "l/min")

    await h.ingest(client, op, first, [8.0])  # 3 s after the first sample: still within the interval
    await probe.wait(7)
    clock.now += 2.0
    await h.ingest(client, op, first, [9.0])  # the interval has passed: this batch is sampled again
    await probe.wait(8)
    assert len(await h.deliveries(client, admin, hook)) == 3
    await h.until(lambda: len(receiver.processed) >= 3, what="the next sample")
    assert json.loads(receiver.hits[-1].body)["value"] == 9.0


async def test_two_servers_fire_a_rule_once_per_cooldown(make_client, auth_headers, probe, h) -> None:  # type: ignore[no-untyped-def]
    """Two server processes on one database see the same crossing; the compare-and-set lets one fire."""
    first = await make_client(*PLUGINS, probe)
    op = await auth_headers(first, "operator")
    admin = await auth_headers(first, "admin")
    event_id = await h.make_event(first, op, "Shared")
    await h.create_webhook(first, admin, "https://hooks.example.com/shared", ["sensor.threshold_exceeded"])
    rule = {
        "name": "Once",
        "event_public_id": event_id,
        "operator": "gt",
        "threshold": 10,
        "action_type": "webhook",
        "cooldown_seconds": 3600,
    }
    assert (await first.post("/api/v1/rules", json=rule, headers=op)).status == 201
    second_probe = type(probe)()
    second = await make_client(*PLUGINS, second_probe)  # same plugins: the same database
    op2 = await auth_headers(second, "operator")
    for _ in range(3):
        await asyncio.gather(h.ingest(first, op, event_id, [50.0]), h.ingest(second, op2, event_id, [51.0]))
    await probe.wait(3)
    await second_probe.wait(3)
    async with first.server.app[DATABASE].connect() as conn:
        fired = (await conn.execute(sa.text("SELECT count(*) FROM webhook_deliveries"))).scalar_one()
    assert fired == 1
