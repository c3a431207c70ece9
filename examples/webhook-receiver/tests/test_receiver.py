"""The reference receiver accepts authentic fresh deliveries once, and nothing else."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

from webmacs_webhook_receiver import ReplayGuard, create_app

SECRET = "receiver-secret"
BODY = json.dumps(
    {"type": "sensor.reading", "time": "2025-01-15T14:30:00+00:00", "sensor": "s", "value": 1.0}
)


def signed(
    body: str = BODY,
    *,
    secret: str = SECRET,
    message_id: str = "msg-1",
    ts: int | None = None,
    schemes: tuple[str, ...] = ("webmacs", "standard"),
) -> dict[str, str]:
    ts = int(time.time()) if ts is None else ts
    raw = body.encode()
    headers = {"Content-Type": "application/json"}
    if "webmacs" in schemes:
        headers["X-Webhook-Timestamp"] = str(ts)
        headers["X-Webhook-Signature"] = hmac.new(
            secret.encode(), f"{ts}.".encode() + raw, hashlib.sha256
        ).hexdigest()
    if "standard" in schemes:
        mac = hmac.new(secret.encode(), f"{message_id}.{ts}.".encode() + raw, hashlib.sha256).digest()
        headers.update(
            {
                "webhook-id": message_id,
                "webhook-timestamp": str(ts),
                "webhook-signature": "v1," + base64.b64encode(mac).decode(),
            }
        )
    return headers


async def _client(aiohttp_client, secret=SECRET):  # type: ignore[no-untyped-def]
    seen: list[dict] = []

    async def handler(payload: dict) -> None:
        seen.append(payload)

    return await aiohttp_client(create_app(secret, handler=handler)), seen


async def test_accepts_both_schemes_once(aiohttp_client) -> None:  # type: ignore[no-untyped-def]
    client, seen = await _client(aiohttp_client)
    resp = await client.post("/webhook", data=BODY, headers=signed())
    assert (resp.status, await resp.json()) == (200, {"ok": True})
    again = await client.post("/webhook", data=BODY, headers=signed())  # a retry of the same delivery
    assert (again.status, await again.json()) == (200, {"ok": True, "duplicate": True})
    assert len(seen) == 1 and seen[0]["type"] == "sensor.reading"


async def test_accepts_upstream_style_and_standard_only(aiohttp_client) -> None:  # type: ignore[no-untyped-def]
    client, seen = await _client(aiohttp_client)
    assert (await client.post("/webhook", data=BODY, headers=signed(schemes=("webmacs",)))).status == 200
    assert (
        await client.post("/webhook", data=BODY, headers=signed(message_id="m2", schemes=("standard",)))
    ).status == 200
    assert len(seen) == 2


async def test_rejects_forgeries_and_stale_requests(aiohttp_client) -> None:  # type: ignore[no-untyped-def]
    client, seen = await _client(aiohttp_client)
    cases = [
        ("tampered body", BODY.replace("1.0", "2.0"), signed()),
        ("wrong secret", BODY, signed(secret="other")),
        ("stale", BODY, signed(ts=int(time.time()) - 360)),
        ("future", BODY, signed(ts=int(time.time()) + 360)),
        ("unsigned", BODY, {"Content-Type": "application/json"}),
        ("id swapped", BODY, {**signed(), "webhook-id": "other-id"}),
        ("one scheme bad", BODY, {**signed(), "X-Webhook-Signature": "0" * 64}),
        ("garbage timestamp", BODY, {**signed(), "X-Webhook-Timestamp": "soon"}),
    ]
    for label, body, headers in cases:
        resp = await client.post("/webhook", data=body, headers=headers)
        assert resp.status == 401, label
        assert (await resp.json())["ok"] is False
    assert seen == []


async def test_rotation_any_offered_signature_may_match(aiohttp_client) -> None:  # type: ignore[no-untyped-def]
    client, _ = await _client(aiohttp_client)
    headers = signed(schemes=("standard",))
    headers["webhook-signature"] = "v1,b2xkLXNpZ25hdHVyZQ== " + headers["webhook-signature"]
    assert (await client.post("/webhook", data=BODY, headers=headers)).status == 200


async def test_without_a_secret_signatures_are_optional(aiohttp_client) -> None:  # type: ignore[no-untyped-def]
    client, seen = await _client(aiohttp_client, secret=None)
    assert (
        await client.post("/webhook", data=BODY, headers={"Content-Type": "application/json"})
    ).status == 200
    assert len(seen) == 1


def test_replay_memory_is_bounded() -> None:
    guard = ReplayGuard(capacity=3, ttl=600)
    for i in range(10):
        assert guard.first_time(f"id-{i}", now=float(i))
    assert len(guard) <= 3
    assert not guard.first_time("id-9", now=10.0)
    expiring = ReplayGuard(capacity=100, ttl=5)
    expiring.first_time("a", now=0.0)
    assert expiring.first_time("b", now=100.0) and len(expiring) == 1
