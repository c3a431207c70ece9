"""Webhooks: the contract's CRUD and delivery log, encrypted secrets, the outbox written in the
cause's transaction, signed deliveries to a real local receiver, retries and dead-lettering."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import socket

import pytest
import sqlalchemy as sa
from aiohttp import web

from webmacs_sdk import DATABASE, HOST, DomainEvent, ExperimentStarted, UserLoggedIn

FAST = {
    "WEBMACS_EGRESS_ALLOW": "127.0.0.1/32",
    "WEBMACS_WEBHOOK_TIME_SCALE": "0.01",
    "WEBMACS_WEBHOOK_BACKOFF_JITTER": "0",
}


class Receiver:
    """A local webhook receiver answering from a script of status codes (then 200)."""

    def __init__(self, script: list[int] | None = None) -> None:
        self.script = list(script or [])
        self.requests: list[tuple[dict[str, str], bytes]] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append((dict(request.headers), await request.read()))
        status = self.script.pop(0) if self.script else 200
        return web.json_response({"ok": status < 300}, status=status)

    async def start(self, aiohttp_server) -> str:  # type: ignore[no-untyped-def]
        app = web.Application()
        app.router.add_post("/webhook", self.handle)
        server = await aiohttp_server(app, host="127.0.0.1")
        return f"http://127.0.0.1:{server.port}/webhook"


async def _create(client, headers, url, events=("experiment.started",), secret="s3cret", **extra):  # type: ignore[no-untyped-def]
    body = {"url": url, "events": list(events), "secret": secret, **extra}
    resp = await client.post("/api/v1/webhooks", json=body, headers=headers)
    assert resp.status == 201, await resp.text()
    listing = await (await client.get("/api/v1/webhooks?page_size=100", headers=headers)).json()
    return next(w for w in listing["data"] if w["url"] == url)


async def _wait_deliveries(client, headers, webhook_id, predicate, within=10.0):  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + within
    while True:
        page = await (
            await client.get(f"/api/v1/webhooks/{webhook_id}/deliveries?page_size=100", headers=headers)
        ).json()
        if predicate(page["data"]):
            return page["data"]
        assert asyncio.get_running_loop().time() < deadline, page
        await asyncio.sleep(0.05)


async def _emit(client, event: DomainEvent):  # type: ignore[no-untyped-def]
    app = client.server.app
    async with app[DATABASE].transaction() as tx:
        await app[HOST].emit(tx, event)


async def test_crud_contract(make_client, auth_headers) -> None:  # type: ignore[no-untyped-def]
    client = await make_client("users", "auth", "webhooks")
    admin = await auth_headers(client, "admin")
    operator = await auth_headers(client, "operator")
    body = {"url": "https://hooks.example.com/a", "events": ["sensor.reading"], "secret": "top"}
    assert (await client.post("/api/v1/webhooks", json=body, headers=operator)).status == 403
    resp = await client.post("/api/v1/webhooks", json=body, headers=admin)
    assert resp.status == 201
    assert await resp.json() == {"status": "success", "message": "Webhook successfully created."}
    dup = await client.post("/api/v1/webhooks", json=body, headers=admin)
    assert dup.status == 409
    assert await dup.json() == {"detail": "Webhook already exists."}

    listing = await (await client.get("/api/v1/webhooks/", headers=admin)).json()
    assert listing["total"] == 1
    hook = listing["data"][0]
    assert list(hook) == ["public_id", "url", "events", "enabled", "created_on", "user_public_id"]
    assert hook["events"] == ["sensor.reading"] and hook["enabled"] is True
    assert "secret" not in json.dumps(listing) or "top" not in json.dumps(listing)

    got = await client.get(f"/api/v1/webhooks/{hook['public_id']}", headers=admin)
    assert (await got.json())["url"] == body["url"]
    upd = await client.put(
        f"/api/v1/webhooks/{hook['public_id']}",
        json={"enabled": False, "events": ["experiment.stopped"]},
        headers=admin,
    )
    assert await upd.json() == {"status": "success", "message": "Webhook successfully updated."}
    got = await (await client.get(f"/api/v1/webhooks/{hook['public_id']}", headers=admin)).json()
    assert got["enabled"] is False and got["events"] == ["experiment.stopped"]

    missing = await client.get("/api/v1/webhooks/nope", headers=admin)
    assert await missing.json() == {"detail": "Webhook 'nope' not found."}
    assert (await client.get("/api/v1/webhooks/nope/deliveries", headers=admin)).status == 404
    deleted = await client.delete(f"/api/v1/webhooks/{hook['public_id']}", headers=admin)
    assert await deleted.json() == {"status": "success", "message": "Webhook successfully deleted."}
    assert (await client.get(f"/api/v1/webhooks/{hook['public_id']}", headers=admin)).status == 404


async def test_validation(make_client, auth_headers) -> None:  # type: ignore[no-untyped-def]
    client = await make_client("users", "auth", "webhooks")
    admin = await auth_headers(client, "admin")
    cases = [
        {"url": "ftp://x.example.com", "events": ["sensor.reading"]},
        {"url": "https://x.example.com", "events": []},
        {"url": "https://x.example.com", "events": ["no.such.type"]},
        {"url": "https://x.example.com", "events": ["sensor.reading"], "secret": "x" * 256},
        {"events": ["sensor.reading"]},
    ]
    for body in cases:
        resp = await client.post("/api/v1/webhooks", json=body, headers=admin)
        assert resp.status == 422, body
        assert isinstance((await resp.json())["detail"], list)
    internal = await client.post(
        "/api/v1/webhooks",
        json={"url": "http://169.254.169.254/latest", "events": ["sensor.reading"]},
        headers=admin,
    )
    assert internal.status == 422
    assert (await internal.json())["detail"] == (
        "Webhook URL not allowed: 169.254.169.254, which is a cloud metadata address."
    )


async def test_secret_is_encrypted_at_rest(make_client, auth_headers) -> None:  # type: ignore[no-untyped-def]
    client = await make_client("users", "auth", "webhooks")
    admin = await auth_headers(client, "admin")
    await _create(client, admin, "https://hooks.example.com/enc", secret="plain-secret-value")
    async with client.server.app[DATABASE].connect() as conn:
        stored = (await conn.execute(sa.text("SELECT secret FROM webhooks"))).scalar_one()
    assert "plain-secret-value" not in stored
    assert stored.startswith("fernet1:")


async def test_signed_delivery_to_local_receiver(make_client, auth_headers, aiohttp_server) -> None:  # type: ignore[no-untyped-def]
    receiver = Receiver()
    url = await receiver.start(aiohttp_server)
    client = await make_client("users", "auth", "webhooks", env=FAST)
    admin = await auth_headers(client, "admin")
    hook = await _create(client, admin, url, events=["experiment.started"], secret="s3cret")
    await _emit(client, ExperimentStarted(experiment="Run 1", experiment_id="e-1"))
    rows = await _wait_deliveries(client, admin, hook["public_id"], lambda d: d and d[0]["status"] == "delivered")
    assert rows[0]["attempts"] == 1 and rows[0]["response_code"] == 200 and rows[0]["delivered_on"]

    headers, body = receiver.requests[0]
    payload = json.loads(body)
    assert list(payload) == ["type", "time", "experiment", "experiment_id"]
    assert payload["type"] == "experiment.started" and payload["time"].endswith("+00:00")
    assert body == json.dumps(payload).encode()  # Python-default separators
    ts = headers["X-Webhook-Timestamp"]
    expected = hmac.new(b"s3cret", f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    assert headers["X-Webhook-Signature"] == expected
    msg_id = headers["webhook-id"]
    assert msg_id == rows[0]["public_id"]
    mac = hmac.new(b"s3cret", f"{msg_id}.{headers['webhook-timestamp']}.".encode() + body, hashlib.sha256)
    assert headers["webhook-signature"] == "v1," + base64.b64encode(mac.digest()).decode()


async def test_retries_then_delivers_with_every_attempt_logged(make_client, auth_headers, aiohttp_server) -> None:  # type: ignore[no-untyped-def]
    receiver = Receiver([503, 500])
    url = await receiver.start(aiohttp_server)
    client = await make_client("users", "auth", "webhooks", env=FAST)
    admin = await auth_headers(client, "admin")
    hook = await _create(client, admin, url)
    await _emit(client, ExperimentStarted(experiment="Run", experiment_id="e-1"))
    rows = await _wait_deliveries(client, admin, hook["public_id"], lambda d: d and d[0]["status"] == "delivered")
    assert rows[0]["attempts"] == 3
    assert rows[0]["last_error"] == "HTTP 500"
    ids = {h["webhook-id"] for h, _ in receiver.requests}
    stamps = [h["X-Webhook-Signature"] for h, _ in receiver.requests]
    assert len(receiver.requests) == 3 and len(ids) == 1
    assert all(stamps)
    attempts = await (
        await client.get(
            f"/api/v1/webhooks/{hook['public_id']}/deliveries/{rows[0]['public_id']}/attempts", headers=admin
        )
    ).json()
    assert [(a["attempt"], a["response_code"], a["error"]) for a in attempts] == [
        (1, 503, "HTTP 503"),
        (2, 500, "HTTP 500"),
        (3, 200, None),
    ]


async def test_dead_letter_and_redeliver(make_client, auth_headers, aiohttp_server) -> None:  # type: ignore[no-untyped-def]
    receiver = Receiver([500, 500, 500])
    url = await receiver.start(aiohttp_server)
    client = await make_client("users", "auth", "webhooks", env=FAST)
    admin = await auth_headers(client, "admin")
    hook = await _create(client, admin, url)
    await _emit(client, ExperimentStarted(experiment="Run", experiment_id="e-1"))
    rows = await _wait_deliveries(client, admin, hook["public_id"], lambda d: d and d[0]["status"] == "dead_letter")
    assert rows[0]["attempts"] == 3 and rows[0]["last_error"] == "HTTP 500" and rows[0]["delivered_on"] is None
    filtered = await (
        await client.get(f"/api/v1/webhooks/{hook['public_id']}/deliveries?status=delivered", headers=admin)
    ).json()
    assert filtered["total"] == 0

    resp = await client.post(
        f"/api/v1/webhooks/{hook['public_id']}/deliveries/{rows[0]['public_id']}/redeliver", headers=admin
    )
    assert resp.status == 202
    rows = await _wait_deliveries(client, admin, hook["public_id"], lambda d: d[0]["status"] == "delivered")
    assert {h["webhook-id"] for h, _ in receiver.requests} == {rows[0]["public_id"]}
    assert len(receiver.requests) == 4
    assert rows[0]["attempts"] == 1  # a fresh budget
    attempts = await (
        await client.get(
            f"/api/v1/webhooks/{hook['public_id']}/deliveries/{rows[0]['public_id']}/attempts", headers=admin
        )
    ).json()
    assert [(a["attempt"], a["response_code"]) for a in attempts] == [(1, 500), (2, 500), (3, 500), (4, 200)]


async def test_gone_disables_the_endpoint(make_client, auth_headers, aiohttp_server) -> None:  # type: ignore[no-untyped-def]
    receiver = Receiver([410])
    url = await receiver.start(aiohttp_server)
    client = await make_client("users", "auth", "webhooks", env=FAST)
    admin = await auth_headers(client, "admin")
    hook = await _create(client, admin, url)
    await _emit(client, ExperimentStarted(experiment="Run", experiment_id="e-1"))
    rows = await _wait_deliveries(client, admin, hook["public_id"], lambda d: d and d[0]["status"] == "dead_letter")
    assert rows[0]["attempts"] == 1
    got = await (await client.get(f"/api/v1/webhooks/{hook['public_id']}", headers=admin)).json()
    assert got["enabled"] is False


async def test_outbox_rows_share_the_cause_transaction(make_client, auth_headers) -> None:  # type: ignore[no-untyped-def]
    client = await make_client("users", "auth", "webhooks")
    admin = await auth_headers(client, "admin")
    hook = await _create(client, admin, "https://hooks.example.com/tx", events=["experiment.started"])
    await _create(client, admin, "https://hooks.example.com/other", events=["experiment.stopped"])
    app = client.server.app
    try:
        async with app[DATABASE].transaction() as tx:
            await app[HOST].emit(tx, ExperimentStarted(experiment="rolled back", experiment_id="e-1"))
            raise RuntimeError("cause failed")
    except RuntimeError:
        pass
    async with app[DATABASE].connect() as conn:
        count = (await conn.execute(sa.text("SELECT count(*) FROM webhook_deliveries"))).scalar_one()
    assert count == 0
    async with app[DATABASE].transaction() as tx:
        await app[HOST].emit(tx, ExperimentStarted(experiment="kept", experiment_id="e-1"))
        await app[HOST].emit(tx, UserLoggedIn(username="x", user_public_id="u-1"))  # not a webhook type
    async with app[DATABASE].connect() as conn:
        rows = (await conn.execute(sa.text("SELECT event_type, payload FROM webhook_deliveries"))).all()
    assert [r.event_type for r in rows] == ["experiment.started"]
    assert json.loads(rows[0].payload)["experiment"] == "kept"
    listing = await (await client.get(f"/api/v1/webhooks/{hook['public_id']}/deliveries", headers=admin)).json()
    assert listing["total"] == 1


async def test_test_endpoint_pings_the_receiver(make_client, auth_headers, aiohttp_server) -> None:  # type: ignore[no-untyped-def]
    receiver = Receiver()
    url = await receiver.start(aiohttp_server)
    client = await make_client("users", "auth", "webhooks", env=FAST)
    admin = await auth_headers(client, "admin")
    hook = await _create(client, admin, url, events=["system.health_changed"], secret=None)
    resp = await client.post(f"/api/v1/webhooks/{hook['public_id']}/test", headers=admin)
    assert resp.status == 202
    await _wait_deliveries(client, admin, hook["public_id"], lambda d: d and d[0]["status"] == "delivered")
    headers, body = receiver.requests[0]
    assert json.loads(body)["type"] == "webhook.test"
    assert "X-Webhook-Signature" not in headers and "webhook-signature" not in headers


async def test_user_deletion_hands_webhooks_to_the_successor(make_client, auth_headers) -> None:  # type: ignore[no-untyped-def]
    client = await make_client("users", "auth", "webhooks")
    admin = await auth_headers(client, "admin")
    await _create(client, admin, "https://hooks.example.com/owned")
    app = client.server.app
    async with app[DATABASE].connect() as conn:
        successor = (await conn.execute(sa.text("SELECT user_public_id FROM webhooks"))).scalar_one()
    await auth_headers(client, "operator")
    async with app[DATABASE].transaction() as tx:
        owner = (
            await tx.conn.execute(sa.text("SELECT public_id FROM users WHERE username = 'operator'"))
        ).scalar_one()
        await tx.conn.execute(sa.text("UPDATE webhooks SET user_public_id = :owner"), {"owner": owner})
    assert (await client.delete(f"/api/v1/users/{owner}", headers=admin)).status == 200
    async with app[DATABASE].connect() as conn:
        assert (await conn.execute(sa.text("SELECT user_public_id FROM webhooks"))).scalar_one() == successor


async def test_timeouts_and_transport_errors_are_recorded(make_client, auth_headers, aiohttp_server) -> None:  # type: ignore[no-untyped-def]
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(2)
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/slow", slow)
    server = await aiohttp_server(app, host="127.0.0.1")
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    dead_port = closed.getsockname()[1]
    closed.close()  # nothing listens there any more
    env = {**FAST, "WEBMACS_WEBHOOK_TIMEOUT_SECONDS": "0.2", "WEBMACS_WEBHOOK_MAX_ATTEMPTS": "1"}
    client = await make_client("users", "auth", "webhooks", env=env)
    admin = await auth_headers(client, "admin")
    slow_hook = await _create(client, admin, f"http://127.0.0.1:{server.port}/slow")
    dead_hook = await _create(client, admin, f"http://127.0.0.1:{dead_port}/hook")
    await _emit(client, ExperimentStarted(experiment="Run", experiment_id="e-1"))
    rows = await _wait_deliveries(client, admin, slow_hook["public_id"], lambda d: d and d[0]["status"] != "pending")
    assert (rows[0]["status"], rows[0]["last_error"], rows[0]["response_code"]) == (
        "dead_letter",
        "Timeout",
        None,
    )
    rows = await _wait_deliveries(client, admin, dead_hook["public_id"], lambda d: d and d[0]["status"] != "pending")
    assert rows[0]["status"] == "dead_letter"
    assert rows[0]["last_error"].startswith("Transport error: ")


def test_backoff_schedule() -> None:
    from webmacs_webhooks.dispatcher import backoff_seconds

    assert [backoff_seconds(n, 2, 3600, jitter=0, scale=1) for n in (1, 2, 3)] == [2, 4, 8]
    assert backoff_seconds(20, 2, 3600, jitter=0, scale=1) == 3600
    assert backoff_seconds(1, 2, 3600, jitter=0, scale=1, retry_after=120) == 120  # Retry-After honoured
    assert backoff_seconds(1, 2, 60, jitter=0, scale=1, retry_after=120) == 60  # ... within the cap
    assert backoff_seconds(2, 2, 3600, jitter=0, scale=0.01) == pytest.approx(0.04)
    spread = {round(backoff_seconds(1, 2, 3600, jitter=0.1, scale=1), 3) for _ in range(200)}
    assert min(spread) >= 1.8 and max(spread) <= 2.2 and len(spread) > 10


async def test_stop_ends_the_dispatcher_when_a_wake_up_meets_the_cancellation(make_client):
    """A delivery finishing as the server stops wakes the loop in the very step its task is
    cancelled; the loop must end all the same instead of polling on behind the stopped app."""
    from webmacs_webhooks.runtime import runtime

    client = await make_client("users", "auth", "webhooks", env=FAST)
    dispatcher = runtime(client.server.app).dispatcher
    await asyncio.sleep(0.2)  # the loop waits for work
    loop_task = dispatcher._loop_task
    assert loop_task is not None and not loop_task.done()
    dispatcher.poke()
    await dispatcher.stop()
    await asyncio.wait({loop_task}, timeout=2)
    assert loop_task.done()
