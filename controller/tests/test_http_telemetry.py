"""REST telemetry (``WEBMACS_TELEMETRY_MODE=http``) against a loopback server that answers 429, 503,
401 and 422: nothing is lost or reordered, ``Retry-After`` is honoured, an invalid batch is dropped and
counted instead of blocking the spool."""

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from webmacs_controller.http_telemetry import HttpTelemetry, retry_after_seconds
from webmacs_controller.httpclient import HttpClient
from webmacs_controller.spool import Spool


class BatchServer:
    """``POST /api/v1/datapoints/batch`` answering a scripted status per request, then 201."""

    def __init__(self, script: list[tuple[int, dict[str, str]]]) -> None:
        self.script = script
        self.bodies: list[dict[str, Any]] = []
        self.stored: list[dict[str, Any]] = []
        self.times: list[float] = []
        self.tokens: list[str] = []

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.bodies.append(body)
        self.times.append(time.monotonic())
        self.tokens.append(request.headers.get("Authorization", ""))
        if body["seq"] == 3:
            return web.json_response([{"msg": "bad"}], status=422)
        if self.script:
            status, headers = self.script.pop(0)
            return web.json_response({"detail": "scripted"}, status=status, headers=headers)
        self.stored.extend(body["datapoints"])
        return web.json_response({"status": "success"}, status=201)


@pytest.fixture
async def session() -> AsyncIterator[HttpClient]:
    client = HttpClient(timeout=5)
    yield client
    await client.close()


async def serve(server: BatchServer) -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.router.add_post("/api/v1/datapoints/batch", server.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}/api/v1"


async def test_retries_429_503_and_401_keep_order_and_drop_only_invalid_batches(
    tmp_path: Path, session: HttpClient
) -> None:
    server = BatchServer([(429, {"Retry-After": "1"}), (503, {"Retry-After": "0"}), (500, {}), (401, {})])
    runner, base = await serve(server)
    spool = Spool(tmp_path / "spool.db")
    tokens = iter(["jwt-1", "jwt-2"])
    current = {"token": next(tokens)}

    async def relogin() -> None:
        current["token"] = next(tokens)

    sender = HttpTelemetry(base, spool, session, token=lambda: current["token"], relogin=relogin)
    batches = [
        [{"value": float(i * 10 + j), "event_public_id": "e1", "timestamp": f"2026-01-01T00:00:{i:02d}Z"}
         for j in range(3)]
        for i in range(1, 6)
    ]
    for batch in batches:
        spool.append(batch)
    task = asyncio.create_task(sender.run())
    try:
        await asyncio.wait_for(sender.wait_drained(15), 20)
    finally:
        sender.stop()
        await task
        await runner.cleanup()
    expected = [dp for i, batch in enumerate(batches, 1) if i != 3 for dp in batch]
    assert server.stored == expected  # every reading once, in order, with its device timestamp
    # Retry-After: 1 was waited for before the next attempt.
    assert server.times[1] - server.times[0] >= 0.95
    # Each request names the spool's controller and the batch sequence, so a server can deduplicate.
    assert {b["controller_id"] for b in server.bodies} == {spool.controller_id}
    assert [b["seq"] for b in server.bodies][:5] == [1, 1, 1, 1, 1]
    # The 401 led to a fresh login, and later requests use the new token.
    assert server.tokens[-1] == "Bearer jwt-2"
    stats = spool.stats()
    assert (stats.pending_batches, stats.rejected_batches, stats.rejected_datapoints) == (0, 1, 3)
    assert sender.rejected_batches == 1


async def test_unreachable_server_keeps_everything_in_the_spool(
    tmp_path: Path, session: HttpClient
) -> None:
    spool = Spool(tmp_path / "spool.db")
    spool.append([{"value": 1.0, "event_public_id": "e1"}])
    sender = HttpTelemetry("http://127.0.0.1:9/api/v1", spool, session, token=lambda: "t")
    task = asyncio.create_task(sender.run())
    await asyncio.sleep(1.0)
    sender.stop()
    await task
    assert spool.pending_count == 1 and sender.requests >= 2


def test_retry_after_parsing() -> None:
    assert retry_after_seconds("60") == 60.0
    assert retry_after_seconds("0.5") == 0.5
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") is None
    assert retry_after_seconds("100000") == 300.0
