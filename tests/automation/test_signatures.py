"""Signatures against an independent oracle (reliability R-10): every delivery verifies with the
``standardwebhooks`` reference library and with the WebMACS scheme; a one-byte change to body,
id or timestamp, or a stale timestamp, is rejected; the id is stable across retries."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

import pytest

from webmacs_sdk import DATABASE, HOST, ExperimentStarted

standardwebhooks = pytest.importorskip("standardwebhooks.webhooks")

PLUGINS = ("users", "auth", "webhooks")
SECRET = "rotate-me-9f8e7d6c5b4a"
ENV = {
    "WEBMACS_EGRESS_ALLOW": "127.0.0.1/32",
    "WEBMACS_WEBHOOK_TIME_SCALE": "0.01",
    "WEBMACS_WEBHOOK_BACKOFF_JITTER": "0",
    "WEBMACS_WEBHOOK_CONCURRENCY": "20",
    "WEBMACS_WEBHOOK_ENDPOINT_CONCURRENCY": "20",
}


def _standard(headers: dict[str, str]) -> dict[str, str]:
    return {k: headers[k] for k in ("webhook-id", "webhook-timestamp", "webhook-signature")}


async def test_deliveries_verify_with_the_reference_library(  # type: ignore[no-untyped-def]
    make_client, auth_headers, receiver_factory, h
) -> None:
    count = 300
    receiver = await receiver_factory(SECRET)
    receiver.down = True  # the first attempts fail: ids must survive the retries
    client = await make_client(*PLUGINS, env=ENV)
    admin = await auth_headers(client, "admin")
    await h.create_webhook(client, admin, receiver.url, ["experiment.started"], SECRET)
    app = client.server.app
    async with app[DATABASE].transaction() as tx:
        for i in range(count):
            await app[HOST].emit(tx, ExperimentStarted(experiment=f"run-{i}", experiment_id=str(i)))
    await h.until(lambda: len(receiver.hits) >= count, what="first attempts")
    receiver.down = False
    await h.until(lambda: len(receiver.processed) == count, within=30, what="every delivery")

    oracle = standardwebhooks.Webhook(base64.b64encode(SECRET.encode()).decode())
    ids_per_body: dict[bytes, set[str]] = {}
    for hit in receiver.hits:
        oracle.verify(hit.body, _standard(hit.headers))  # raises on any mismatch
        ts = hit.headers["X-Webhook-Timestamp"]
        expected = hmac.new(SECRET.encode(), f"{ts}.".encode() + hit.body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(expected, hit.headers["X-Webhook-Signature"])
        ids_per_body.setdefault(hit.body, set()).add(hit.headers["webhook-id"])
    assert len(ids_per_body) == count
    assert all(len(ids) == 1 for ids in ids_per_body.values())  # one id per event, across retries

    sample = receiver.hits[-1]
    headers = _standard(sample.headers)
    tampered = [
        (sample.body.replace(b"run-", b"RUN-", 1), headers),
        (sample.body, {**headers, "webhook-id": headers["webhook-id"] + "x"}),
        (sample.body, {**headers, "webhook-timestamp": str(int(headers["webhook-timestamp"]) + 1)}),
        (sample.body, {**headers, "webhook-signature": _flip_first_digit(headers["webhook-signature"])}),
    ]
    for body, bad in tampered:
        with pytest.raises(standardwebhooks.WebhookVerificationError):
            oracle.verify(body, bad)


def _flip_first_digit(signature: str) -> str:
    """``v1,<base64>`` with the first base64 digit changed (the first byte's high bits), always."""
    scheme, digits = signature.split(",", 1)
    return f"{scheme},{'B' if digits[0] == 'A' else 'A'}{digits[1:]}"


def test_stale_deliveries_are_rejected_by_the_oracle() -> None:
    from webmacs_webhooks.signing import headers

    body = b'{"type": "sensor.reading", "time": "2025-01-15T14:30:00+00:00", "sensor": "s", "value": 1.0}'
    oracle = standardwebhooks.Webhook(base64.b64encode(SECRET.encode()).decode())
    fresh = headers(SECRET, "msg_1", int(time.time()), body)
    oracle.verify(body, _standard(fresh))
    stale = headers(SECRET, "msg_1", int(time.time()) - 301, body)
    with pytest.raises(standardwebhooks.WebhookVerificationError):
        oracle.verify(body, _standard(stale))
    for n in range(1000):  # property: sign → verify for many ids and bodies
        payload = f'{{"n": {n}}}'.encode()
        oracle.verify(payload, _standard(headers(SECRET, f"msg_{n}", int(time.time()), payload)))
