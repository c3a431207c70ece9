"""Webhook delivery under failure (reliability R-09): a receiver down for a time-scaled outage gets
100 % of its deliveries afterwards, each webhook-id processed once, on the configured schedule,
with every attempt logged; a dead endpoint dead-letters after the limit while a healthy one stays
fast; and a server restart in the middle loses nothing."""

from __future__ import annotations

import asyncio
import gc
import itertools
import time
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from webmacs_sdk import hookimpl
from webmacs_sdk.events import WebhookDeadLettered

PLUGINS = ("users", "auth", "events", "experiments", "datapoints", "rules", "webhooks")
SCALE = 0.02
BASE = 2.0
JITTER = 0.1
ENV = {
    "WEBMACS_EGRESS_ALLOW": "127.0.0.1/32",
    "WEBMACS_WEBHOOK_MAX_ATTEMPTS": "6",
    "WEBMACS_WEBHOOK_TIME_SCALE": str(SCALE),
    "WEBMACS_WEBHOOK_BACKOFF_JITTER": str(JITTER),
    "WEBMACS_WEBHOOK_ENDPOINT_CONCURRENCY": "10",
    "WEBMACS_WEBHOOK_CONCURRENCY": "30",
}


def _ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def _fire(client, op, h, probe, count: int, batches_before: int = 0):  # type: ignore[no-untyped-def]
    event_id = await h.make_event(client, op, "Pressure")
    rule = {
        "name": "Over pressure",
        "event_public_id": event_id,
        "operator": "gt",
        "threshold": 10,
        "action_type": "webhook",
        "cooldown_seconds": 0,
    }
    assert (await client.post("/api/v1/rules", json=rule, headers=op)).status == 201
    await h.ingest(client, op, event_id, [20.0 + i for i in range(count)])  # level rule: every reading fires
    await probe.wait(batches_before + 1)
    return event_id


async def _attempts(client, admin, hook_id, delivery_id):  # type: ignore[no-untyped-def]
    resp = await client.get(f"/api/v1/webhooks/{hook_id}/deliveries/{delivery_id}/attempts", headers=admin)
    return await resp.json()


async def test_outage_recovery_dead_letter_and_schedule(  # type: ignore[no-untyped-def]
    make_client, auth_headers, probe, receiver_factory, h
) -> None:
    events = 30
    flaky = await receiver_factory("a-secret")
    healthy = await receiver_factory("b-secret")
    dead = await receiver_factory("c-secret")
    dead.down = True
    # The outage: each delivery fails three times (waits of 2, 4 and 8 s of the real schedule, scaled
    # down) before the receiver takes it, however long a loaded machine takes to get there.
    flaky.fail_first = 3
    client = await make_client(*PLUGINS, probe, env=ENV)
    admin = await auth_headers(client, "admin")
    op = await auth_headers(client, "operator")
    hooks = {}
    for name, rcv, secret in (("a", flaky, "a-secret"), ("b", healthy, "b-secret"), ("c", dead, "c-secret")):
        hooks[name] = await h.create_webhook(client, admin, rcv.url, ["sensor.threshold_exceeded"], secret)

    await _fire(client, op, h, probe, events)

    async def settled() -> bool:
        for hook in hooks.values():
            rows = await h.deliveries(client, admin, hook)
            if len(rows) < events or any(r["status"] == "pending" for r in rows):
                return False
        return True

    await h.until(settled, within=30, what="every delivery to settle")

    # A: everything delivered after recovery, each webhook-id processed exactly once
    a_rows = await h.deliveries(client, admin, hooks["a"])
    assert [r["status"] for r in a_rows] == ["delivered"] * events
    assert set(flaky.processed) == {r["public_id"] for r in a_rows}
    assert set(flaky.processed.values()) == {1}
    assert {r["attempts"] for r in a_rows} == {4}
    assert all(hit.status in (200, 503) for hit in flaky.hits)
    for row in a_rows:
        attempts = await _attempts(client, admin, hooks["a"], row["public_id"])
        assert [a["attempt"] for a in attempts] == list(range(1, row["attempts"] + 1))
        assert sum(hit.message_id == row["public_id"] for hit in flaky.hits) == row["attempts"]
        assert [a["response_code"] for a in attempts] == [503] * (row["attempts"] - 1) + [200]
        # never earlier than the schedule allows (precision is checked without load below)
        starts = [_ts(a["started_on"]) for a in attempts]
        for n, (before, after) in enumerate(itertools.pairwise(starts), start=1):
            expected = BASE * 2 ** (n - 1) * SCALE
            assert (after - before).total_seconds() >= expected * (1 - JITTER) - 0.002, (n, expected)

    # B: healthy all along, and fast while A and C were failing
    b_rows = await h.deliveries(client, admin, hooks["b"])
    assert [r["status"] for r in b_rows] == ["delivered"] * events
    latencies = sorted((_ts(r["delivered_on"]) - _ts(r["created_on"])).total_seconds() for r in b_rows)
    assert latencies[int(0.99 * (len(latencies) - 1))] < 2.0
    assert all(r["attempts"] == 1 for r in b_rows)

    # C: never up, so every delivery is dead-lettered after the last attempt, each attempt logged
    c_rows = await h.deliveries(client, admin, hooks["c"])
    assert {(r["status"], r["attempts"], r["last_error"]) for r in c_rows} == {("dead_letter", 6, "HTTP 503")}
    attempts = await _attempts(client, admin, hooks["c"], c_rows[0]["public_id"])
    assert [(a["attempt"], a["error"]) for a in attempts] == [(n, "HTTP 503") for n in range(1, 7)]
    assert len(dead.hits) == 6 * events
    dead_filter = await (
        await client.get(f"/api/v1/webhooks/{hooks['c']}/deliveries?status=dead_letter", headers=admin)
    ).json()
    assert dead_filter["total"] == events


async def test_restart_in_the_middle_loses_nothing(  # type: ignore[no-untyped-def]
    make_client, auth_headers, probe, receiver_factory, h
) -> None:
    events = 10
    receiver = await receiver_factory("r")
    receiver.down = True
    # A lease the stop could not hand back (a slow shutdown) runs out within the wait below.
    env = {**ENV, "WEBMACS_WEBHOOK_MAX_ATTEMPTS": "12", "WEBMACS_WEBHOOK_LEASE_SECONDS": "10"}
    client = await make_client(*PLUGINS, probe, env=env)
    admin = await auth_headers(client, "admin")
    op = await auth_headers(client, "operator")
    hook = await h.create_webhook(client, admin, receiver.url, ["sensor.threshold_exceeded"], "r")
    await _fire(client, op, h, probe, events)

    async def all_tried() -> bool:
        rows = await h.deliveries(client, admin, hook)
        return len(rows) == events and all(r["attempts"] >= 2 for r in rows)

    await h.until(all_tried, what="every delivery to have failed twice")
    await client.close()  # the server stops with every delivery still pending
    tried_before = len(receiver.hits)

    receiver.down = False
    restarted = await make_client(*PLUGINS, env=env)
    admin2 = await auth_headers(restarted, "admin")

    async def delivered() -> list | None:
        rows = await h.deliveries(restarted, admin2, hook)
        return rows if rows and all(r["status"] == "delivered" for r in rows) else None

    rows = await h.until(delivered, within=30, what="delivery after the restart")
    assert len(rows) == events
    assert set(receiver.processed) == {r["public_id"] for r in rows}
    assert set(receiver.processed.values()) == {1}
    assert len(receiver.hits) > tried_before
    for row in rows:
        attempts = await _attempts(restarted, admin2, hook, row["public_id"])
        assert [a["attempt"] for a in attempts] == list(range(1, row["attempts"] + 1))
        assert attempts[-1]["response_code"] == 200 and row["attempts"] >= 3


class SlowDeadLetterLog:
    """Writes a dead letter's log entry with a statement that runs for ``seconds`` inside the delivery's
    write transaction, as a slow plugin or a big table would (interruptible between rows)."""

    name = "slow-dead-letter-log"

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.started = asyncio.Event()

    @hookimpl
    async def webmacs_on_event(self, app: Any, tx: Any, event: Any) -> None:
        if not isinstance(event, WebhookDeadLettered):
            return
        if tx.conn.dialect.name == "postgresql":
            statement = sa.text(f"SELECT pg_sleep({self.seconds})")
        else:
            deadline = time.monotonic() + self.seconds

            def tick() -> bool:
                time.sleep(0.005)
                return time.monotonic() < deadline

            raw = await tx.conn.get_raw_connection()
            await raw.driver_connection.create_function("slow_tick", 0, tick)
            statement = sa.text(
                "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE slow_tick()) "
                "SELECT count(*) FROM n"
            )
        self.started.set()
        await tx.conn.execute(statement)


async def test_shutdown_during_a_slow_statement_of_a_delivery(  # type: ignore[no-untyped-def]
    make_client, auth_headers, probe, receiver_factory, h
) -> None:
    """A delivery whose write transaction is mid-statement when the server stops: the statement is cut
    off and rolled back, the app started next on the same database migrates and writes at once, and
    the delivery the stop interrupted is attempted again and delivered.

    Automatic garbage collection is off meanwhile: a collection that happened to free a connection
    closed under an open cursor would release its lock by chance and hide the fault.
    """
    gc.disable()
    try:
        await _shutdown_during_a_slow_statement(make_client, auth_headers, probe, receiver_factory, h)
    finally:
        gc.enable()


async def _shutdown_during_a_slow_statement(  # type: ignore[no-untyped-def]
    make_client, auth_headers, probe, receiver_factory, h
) -> None:
    receiver = await receiver_factory("r")
    receiver.down = True
    # Longer than a restart waits for the write lock (SQLite's busy timeout): only a statement that
    # the stop interrupts lets the next app write.
    slow = SlowDeadLetterLog(seconds=60.0)
    env = {**ENV, "WEBMACS_WEBHOOK_MAX_ATTEMPTS": "1"}
    client = await make_client(*PLUGINS, probe, slow, env=env)
    admin = await auth_headers(client, "admin")
    op = await auth_headers(client, "operator")
    hook = await h.create_webhook(client, admin, receiver.url, ["sensor.threshold_exceeded"], "r")
    await _fire(client, op, h, probe, 1)
    await asyncio.wait_for(slow.started.wait(), timeout=30)

    await client.close()  # the dead-lettering transaction is still inside its slow statement
    receiver.down = False
    restarted = await make_client(*PLUGINS, env=env)
    admin2 = await auth_headers(restarted, "admin")

    async def delivered() -> list | None:
        rows = await h.deliveries(restarted, admin2, hook)
        return rows if rows and all(r["status"] == "delivered" for r in rows) else None

    rows = await h.until(delivered, within=30, what="delivery after the restart")
    assert len(rows) == 1 and rows[0]["attempts"] == 1
    assert list(receiver.processed.values()) == [1]
    attempts = await _attempts(restarted, admin2, hook, rows[0]["public_id"])
    # The cut-off attempt was rolled back with its transaction; the log holds the one that succeeded.
    assert [(a["attempt"], a["response_code"]) for a in attempts] == [(1, 200)]


async def test_retry_schedule_follows_the_configured_backoff(  # type: ignore[no-untyped-def]
    make_client, auth_headers, probe, receiver_factory, h
) -> None:
    """Waits of 2, 4, 8, 16 s (scaled by 0.1) between attempts, each within ±10 % jitter."""
    scale = 0.1
    receiver = await receiver_factory("s")
    receiver.down = True
    env = {**ENV, "WEBMACS_WEBHOOK_TIME_SCALE": str(scale), "WEBMACS_WEBHOOK_MAX_ATTEMPTS": "5"}
    client = await make_client(*PLUGINS, probe, env=env)
    admin = await auth_headers(client, "admin")
    op = await auth_headers(client, "operator")
    hook = await h.create_webhook(client, admin, receiver.url, ["sensor.threshold_exceeded"], "s")
    await _fire(client, op, h, probe, 1)

    async def dead() -> list | None:
        rows = await h.deliveries(client, admin, hook)
        return rows if rows and rows[0]["status"] == "dead_letter" else None

    rows = await h.until(dead, within=20, what="dead-lettering")
    attempts = await _attempts(client, admin, hook, rows[0]["public_id"])
    starts = [_ts(a["started_on"]) for a in attempts]
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(starts)]
    assert len(gaps) == 4
    for n, gap in enumerate(gaps, start=1):
        expected = BASE * 2 ** (n - 1) * scale
        # jitter bounds, plus the time one attempt and one outbox scan take on a busy 2-core test machine
        assert expected * (1 - JITTER) <= gap <= expected * (1 + JITTER) + 0.15, (n, gap, expected)
