"""Helpers of the automation end-to-end tests: a scripted webhook receiver that verifies both
signature schemes, a probe that tells when a batch went through every rule, ingestion and event
shortcuts, a stub DNS and a socket guard that fails on any connection the test did not allow."""

from __future__ import annotations

import asyncio
import socket
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from aiohttp import web

from webmacs_sdk import hookimpl
from webmacs_sdk.testing import eventually
from webmacs_sdk.testing.api import create_event, post_datapoints

# The reference receiver is an example, not installed: imported from its folder like the examples' tests.
sys.path.insert(0, str(Path(__file__).parents[2] / "examples" / "webhook-receiver"))
from webmacs_webhook_receiver import VerificationError, verify

PLUGINS = ("users", "auth", "events", "experiments", "datapoints", "rules", "webhooks")


class Probe:
    """Counts committed batches after every other ``webmacs_on_datapoints`` implementation ran."""

    name = "probe"

    def __init__(self) -> None:
        self.batches = 0

    @hookimpl(trylast=True)
    async def webmacs_on_datapoints(self, app: Any, batch: Any) -> None:
        self.batches += 1

    async def wait(self, count: int, within: float = 15.0) -> None:
        deadline = time.monotonic() + within
        while self.batches < count:
            assert time.monotonic() < deadline, f"only {self.batches}/{count} batches evaluated"
            await asyncio.sleep(0.01)


@attrs.define
class Hit:
    """One request the receiver saw."""

    at: float
    headers: dict[str, str]
    body: bytes
    status: int
    message_id: str | None


class Receiver:
    """A local webhook endpoint: answers ``down_status`` while ``down`` (and to the first ``fail_first``
    requests of each message), else 200.

    Every request is verified with the reference receiver's verifier (both schemes) and recorded;
    ``processed`` holds each webhook-id accepted with 2xx exactly once.
    """

    def __init__(
        self, secret: str | None = None, *, down_status: int = 503, redirect_to: str | None = None
    ) -> None:
        self.secret = secret
        self.down_status = down_status
        self.redirect_to = redirect_to
        self.down = False
        self.fail_first = 0
        self.hits: list[Hit] = []
        self.processed: dict[str, int] = {}
        self.port = 0
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        try:
            message_id = verify(self.secret, request.headers, body)
        except VerificationError:
            self.hits.append(Hit(time.monotonic(), dict(request.headers), body, 401, None))
            return web.json_response({"ok": False}, status=401)
        tries = sum(hit.message_id == message_id for hit in self.hits)
        failing = self.down or tries < self.fail_first
        status = 302 if self.redirect_to else self.down_status if failing else 200
        self.hits.append(Hit(time.monotonic(), dict(request.headers), body, status, message_id))
        if status == 302:
            raise web.HTTPFound(self.redirect_to or "/")
        if status < 300 and message_id is not None:
            self.processed[message_id] = self.processed.get(message_id, 0) + 1
        return web.json_response({"ok": status < 300}, status=status)

    async def start(self, aiohttp_server: Any) -> Receiver:
        app = web.Application()
        app.router.add_post("/webhook", self.handle)
        server = await aiohttp_server(app, host="127.0.0.1")
        self.port = server.port
        self.url = f"http://127.0.0.1:{server.port}/webhook"
        return self


async def _make_event(client: Any, headers: dict[str, str], name: str = "Temp", unit: str = "C") -> str:
    return await create_event(client, headers, name, unit)


_ingest = post_datapoints


async def _create_webhook(
    client: Any, headers: dict[str, str], url: str, events: list[str], secret: str | None = None
) -> str:
    resp = await client.post(
        "/api/v1/webhooks", json={"url": url, "events": events, "secret": secret}, headers=headers
    )
    assert resp.status == 201, await resp.text()
    listing = await (await client.get("/api/v1/webhooks?page_size=100", headers=headers)).json()
    return next(w["public_id"] for w in listing["data"] if w["url"] == url)


async def _deliveries(client: Any, headers: dict[str, str], webhook_id: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    page = 1
    while True:
        resp = await client.get(
            f"/api/v1/webhooks/{webhook_id}/deliveries?page_size=100&page={page}", headers=headers
        )
        data = await resp.json()
        rows.extend(data["data"])
        if len(rows) >= data["total"]:
            return rows
        page += 1


@attrs.define
class Helpers:
    """Shortcuts the tests share."""

    make_event: Any = _make_event
    ingest: Any = _ingest
    create_webhook: Any = _create_webhook
    deliveries: Any = _deliveries
    until: Any = eventually


@pytest.fixture
def h() -> Helpers:
    return Helpers()


@pytest.fixture
def probe() -> Probe:
    return Probe()


@pytest.fixture
def receiver_factory(aiohttp_server: Any) -> Callable[..., Any]:
    async def make(secret: str | None = None, **kwargs: Any) -> Receiver:
        return await Receiver(secret, **kwargs).start(aiohttp_server)

    return make


class SocketGuard:
    """Records every outbound ``connect()``; anything not explicitly allowed is refused and recorded
    as a violation, so a test can prove no connection to a forbidden address was even attempted."""

    def __init__(self) -> None:
        self.allowed: set[tuple[str, int]] = set()
        self.allowed_ports_any_loopback: set[int] = set()
        self.connects: list[Any] = []
        self.violations: list[Any] = []

    def allow(self, host: str, port: int) -> None:
        self.allowed.add((host, port))

    def check(self, address: Any) -> None:
        self.connects.append(address)
        if not isinstance(address, tuple):
            return  # unix sockets (PostgreSQL may use one) are not egress
        host, port = str(address[0]), int(address[1])
        if (host, port) in self.allowed or (host in ("127.0.0.1", "::1") and port == 5432):
            return
        self.violations.append(address)
        raise ConnectionRefusedError(f"socket guard: connect to {address!r} not allowed in this test")


@pytest.fixture
def socket_guard(monkeypatch: pytest.MonkeyPatch) -> Iterator[SocketGuard]:
    guard = SocketGuard()
    original_connect = socket.socket.connect
    original_connect_ex = socket.socket.connect_ex

    def connect(self: socket.socket, address: Any) -> Any:
        guard.check(address)
        return original_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> Any:
        guard.check(address)
        return original_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    yield guard


class Trap:
    """A listening socket on 127.0.0.1 standing in for an internal service; counts accepted connections."""

    def __init__(self) -> None:
        self.accepted = 0
        self.port = 0
        self._server: asyncio.Server | None = None

    async def start(self) -> Trap:
        async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.accepted += 1
            writer.close()

        self._server = await asyncio.start_server(on_connect, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


@pytest.fixture
async def trap() -> Any:
    t = await Trap().start()
    yield t
    await t.close()
