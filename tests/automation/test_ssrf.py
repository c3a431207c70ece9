"""SSRF through webhook URLs (reliability R-11): every internal destination, in every spelling, is
refused when the webhook is saved (422) and again when a delivery is sent, and no connection to
it is ever opened (a socket guard fails the test on any connect it did not allow, and a listening
"internal service" counts accepted connections). DNS rebinding and redirects to internal addresses
end the same way."""

from __future__ import annotations

import json
import socket

import sqlalchemy as sa

from webmacs_sdk import DATABASE, HOST, ExperimentStarted
from webmacs_sdk.db import new_public_id
from webmacs_sdk.testing import eventually
from webmacs_sdk.timefmt import utcnow
from webmacs_webhooks.runtime import runtime

PLUGINS = ("users", "auth", "webhooks")
ENV = {
    "WEBMACS_EGRESS_ALLOW": "receiver.test",
    "WEBMACS_WEBHOOK_TIME_SCALE": "0.01",
    "WEBMACS_WEBHOOK_BACKOFF_JITTER": "0",
    "WEBMACS_WEBHOOK_MAX_ATTEMPTS": "2",
}


class StubDns:
    """Names an attacker controls. ``rebind.test`` answers a public address once, then the metadata one."""

    def __init__(self) -> None:
        self.lookups: list[str] = []
        self.rebind_calls = 0

    async def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        if host == "rebind.test":
            self.rebind_calls += 1
            return ["93.184.216.34"] if self.rebind_calls == 1 else ["169.254.169.254"]
        zone = {
            "internal.test": ["10.1.2.3"],
            "mixed.test": ["93.184.216.34", "10.0.0.7"],
            "meta.test": ["169.254.169.254"],
            "v6loop.test": ["::1"],
            "localhost": ["127.0.0.1", "::1"],
            "receiver.test": ["127.0.0.1"],
        }
        if host in zone:
            return zone[host]
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


def vectors(port: int) -> list[str]:
    """At least 40 ways to name an internal destination; ``port`` is the trap's."""
    p = port
    return [
        f"http://127.0.0.1:{p}/",
        f"http://localhost:{p}/",
        f"http://LOCALHOST.:{p}/",
        f"http://sub.localhost:{p}/",
        f"http://[::1]:{p}/",
        f"http://[0:0:0:0:0:0:0:1]:{p}/",
        f"http://0.0.0.0:{p}/",
        f"http://0:{p}/",
        f"http://127.1:{p}/",
        f"http://2130706433:{p}/",
        f"http://0x7f000001:{p}/",
        f"http://017700000001:{p}/",
        f"http://0177.0.0.1:{p}/",
        f"http://0x7f.0.0.1:{p}/",
        f"http://[::ffff:127.0.0.1]:{p}/",
        f"http://[::ffff:7f00:1]:{p}/",
        f"http://[64:ff9b::7f00:1]:{p}/",
        f"http://[2002:7f00:1::]:{p}/",
        f"http://[::127.0.0.1]:{p}/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/",
        "http://[::ffff:169.254.169.254]/",
        "http://[fd00::1]/",
        "http://[fe80::1]/",
        "http://[ff02::1]/",
        "http://10.0.0.1/",
        "http://172.16.0.1/",
        "http://192.168.1.1/",
        "http://100.64.0.1/",
        "http://224.0.0.1/",
        "http://255.255.255.255/",
        "http://198.18.0.1/",
        "http://240.0.0.1/",
        f"http://user@127.0.0.1:{p}/",
        f"http://good.example@127.0.0.1:{p}/",
        f"http://127\u30020\u30020\u30021:{p}/",
        f"http://127.0.0.1.:{p}/",
        "http://internal.test/",
        "http://internal.test./",
        "http://mixed.test/",
        "http://meta.test/",
        f"http://v6loop.test:{p}/",
        "http://999.1.1.1/",
        f"https://127.0.0.1:{p}/",
        f"https://[::1]:{p}/",
        f"http://127.0.0.1\t:{p}/",
        "file:///etc/passwd",
        f"gopher://127.0.0.1:{p}/_",
        "ftp://127.0.0.1/",
        f"dict://127.0.0.1:{p}/info",
    ]


async def _start(make_client, auth_headers, socket_guard):  # type: ignore[no-untyped-def]
    client = await make_client(*PLUGINS, env=ENV)
    socket_guard.allow("127.0.0.1", client.server.port)
    dns = StubDns()
    runtime(client.server.app).use_resolver(dns)
    admin = await auth_headers(client, "admin")
    return client, admin, dns


async def test_internal_urls_are_refused_when_saved(make_client, auth_headers, socket_guard, trap) -> None:  # type: ignore[no-untyped-def]
    client, admin, _ = await _start(make_client, auth_headers, socket_guard)
    urls = vectors(trap.port)
    assert len(urls) >= 40
    for url in urls:
        resp = await client.post(
            "/api/v1/webhooks", json={"url": url, "events": ["sensor.reading"]}, headers=admin
        )
        assert resp.status == 422, url
        detail = (await resp.json())["detail"]
        if isinstance(detail, str):
            assert detail.startswith("Webhook URL not allowed: "), (url, detail)
        else:
            assert detail[0]["loc"] == ["body", "url"], (url, detail)
    # the same host, spelled harmlessly, is refused too when an update tries to sneak it in
    ok = await client.post(
        "/api/v1/webhooks",
        json={"url": "https://93.184.216.34/hook", "events": ["sensor.reading"]},
        headers=admin,
    )
    assert ok.status == 201
    hook = (await (await client.get("/api/v1/webhooks", headers=admin)).json())["data"][0]["public_id"]
    resp = await client.put(
        f"/api/v1/webhooks/{hook}", json={"url": f"http://2130706433:{trap.port}/"}, headers=admin
    )
    assert resp.status == 422
    assert trap.accepted == 0
    assert socket_guard.violations == []
    async with client.server.app[DATABASE].connect() as conn:
        assert (await conn.execute(sa.text("SELECT count(*) FROM webhooks"))).scalar_one() == 1


async def test_internal_urls_are_refused_when_sent(make_client, auth_headers, socket_guard, trap) -> None:  # type: ignore[no-untyped-def]
    """Rows that hold internal URLs (written before a policy change, or by hand) never connect."""
    client, _admin, _ = await _start(make_client, auth_headers, socket_guard)
    app = client.server.app
    urls = vectors(trap.port)
    async with app[DATABASE].transaction() as tx:
        owner = (await tx.conn.execute(sa.text("SELECT public_id FROM users"))).scalar_one()
        for url in urls:
            await tx.conn.execute(
                sa.text(
                    "INSERT INTO webhooks (public_id, url, secret, events, enabled, created_on, "
                    "user_public_id) VALUES (:p, :u, NULL, :e, :t, :c, :o)"
                ),
                {
                    "p": new_public_id(),
                    "u": url,
                    "e": json.dumps(["experiment.started"]),
                    "t": True,
                    "c": utcnow(),
                    "o": owner,
                },
            )
    async with app[DATABASE].transaction() as tx:
        await app[HOST].emit(tx, ExperimentStarted(experiment="probe", experiment_id="e-1"))

    async def settled() -> list | None:
        async with app[DATABASE].connect() as conn:
            rows = (
                await conn.execute(
                    sa.text(
                        "SELECT w.url, d.status, d.attempts, d.last_error FROM webhook_deliveries d "
                        "JOIN webhooks w ON w.id = d.webhook_id"
                    )
                )
            ).all()
        return rows if len(rows) == len(urls) and all(r.status != "pending" for r in rows) else None

    rows = await eventually(settled)
    for row in rows:
        assert row.status == "failed", row
        assert row.last_error.startswith("Blocked: "), row
        assert row.attempts == 1
    assert trap.accepted == 0
    assert socket_guard.violations == []


async def test_dns_rebinding_is_caught_at_send_time(make_client, auth_headers, socket_guard, trap) -> None:  # type: ignore[no-untyped-def]
    client, admin, dns = await _start(make_client, auth_headers, socket_guard)
    url = "http://rebind.test/hook"
    resp = await client.post(
        "/api/v1/webhooks", json={"url": url, "events": ["experiment.started"]}, headers=admin
    )
    assert resp.status == 201  # resolved to a public address when saved
    app = client.server.app
    async with app[DATABASE].transaction() as tx:
        await app[HOST].emit(tx, ExperimentStarted(experiment="rebind", experiment_id="e-1"))
    hook = (await (await client.get("/api/v1/webhooks", headers=admin)).json())["data"][0]["public_id"]

    async def failed() -> list | None:
        data = (await (await client.get(f"/api/v1/webhooks/{hook}/deliveries", headers=admin)).json())["data"]
        return data if data and data[0]["status"] != "pending" else None

    rows = await eventually(failed)
    assert rows[0]["status"] == "failed"
    assert rows[0]["last_error"] == (
        "Blocked: rebind.test resolves to 169.254.169.254, which is a cloud metadata address."
    )
    assert dns.rebind_calls >= 2
    assert socket_guard.violations == []
    assert not any(
        isinstance(a, tuple) and a[0] in ("169.254.169.254", "93.184.216.34") for a in socket_guard.connects
    )


async def test_redirect_to_an_internal_address_is_not_followed(  # type: ignore[no-untyped-def]
    make_client, auth_headers, socket_guard, trap, receiver_factory
) -> None:
    receiver = await receiver_factory(None, redirect_to=f"http://127.0.0.1:{trap.port}/admin")
    socket_guard.allow("127.0.0.1", receiver.port)
    client, admin, _ = await _start(make_client, auth_headers, socket_guard)
    url = f"http://receiver.test:{receiver.port}/webhook"  # allow-listed by name
    assert (
        await client.post(
            "/api/v1/webhooks", json={"url": url, "events": ["experiment.started"]}, headers=admin
        )
    ).status == 201
    app = client.server.app
    async with app[DATABASE].transaction() as tx:
        await app[HOST].emit(tx, ExperimentStarted(experiment="redirect", experiment_id="e-1"))
    hook = (await (await client.get("/api/v1/webhooks", headers=admin)).json())["data"][0]["public_id"]

    async def dead() -> list | None:
        data = (await (await client.get(f"/api/v1/webhooks/{hook}/deliveries", headers=admin)).json())["data"]
        return data if data and data[0]["status"] == "dead_letter" else None

    rows = await eventually(dead)
    assert (rows[0]["attempts"], rows[0]["last_error"], rows[0]["response_code"]) == (2, "HTTP 302", 302)
    assert len(receiver.hits) == 2
    assert ("127.0.0.1", receiver.port) in socket_guard.connects  # the guard saw the real connections
    assert trap.accepted == 0
    assert socket_guard.violations == []
