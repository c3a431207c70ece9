"""SIGTERM with controllers streaming and dashboards watching: every WebSocket is closed with 1001,
the process exits within 2 s, and no acknowledged datapoint is lost (rows counted after a restart,
unacknowledged batches sent again as a controller's spool would)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from server_process import ADMIN_EMAIL, ADMIN_PASSWORD, ServerProcess, require_postgresql

from webmacs_sdk.testing.databases import PostgresTestDatabase

CONTROLLERS = 5
DASHBOARDS = 50
BATCH = 20


async def _poll(done: Callable[[], bool], within: float) -> None:
    """Return once ``done()`` holds, or after ``within`` seconds (the caller asserts what it needs)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if done():
            return
        await asyncio.sleep(0.05)


class Controller:
    """A controller streaming acknowledged batches; keeps every batch until it is acknowledged."""

    def __init__(self, name: str, event: str) -> None:
        self.name = name
        self.event = event
        self.unacked: dict[int, list[dict[str, Any]]] = {}
        self.acked_points = 0
        self.close_code: int | None = None
        self.seq = itertools.count()
        self.sent_points = 0
        self.clock = datetime.now(UTC) - timedelta(hours=1)

    def batch(self) -> tuple[int, list[dict[str, Any]]]:
        seq = next(self.seq)
        points = []
        for _ in range(BATCH):
            self.clock += timedelta(milliseconds=1)
            points.append({"event_public_id": self.event, "value": 1.5, "timestamp": self.clock.isoformat()})
        self.unacked[seq] = points
        self.sent_points += len(points)
        return seq, points

    async def stream(self, session: aiohttp.ClientSession, url: str, token: str, resend_only: bool = False) -> None:
        ws = await session.ws_connect(
            f"{url}/ws/controller/telemetry?token={token}&ack=1&controller_id={self.name}", autoclose=False
        )

        async def read() -> None:
            async for msg in ws:
                if msg.type is aiohttp.WSMsgType.TEXT:
                    data = msg.json()
                    if data.get("type") == "ack" and data.get("seq") in self.unacked:
                        self.unacked.pop(data["seq"])
                        assert data["rejected"] == 0, data
                        self.acked_points += data["accepted"]
                elif msg.type is aiohttp.WSMsgType.CLOSE:
                    await ws.close()

        reader = asyncio.ensure_future(read())
        with contextlib.suppress(ConnectionError, RuntimeError, aiohttp.ClientError):
            for seq, points in sorted(self.unacked.items()):
                await ws.send_json({"seq": seq, "datapoints": points})
            while not resend_only and not ws.closed:
                seq, points = self.batch()
                await ws.send_json({"seq": seq, "datapoints": points})
                await asyncio.sleep(0.01)
            # Acknowledgements of what was sent come while the socket is open; a closed one sends no more.
            await _poll(lambda: not self.unacked or ws.closed, within=60)
            await ws.close()
        await reader
        self.close_code = ws.close_code


async def _dashboard(session: aiohttp.ClientSession, url: str, token: str, codes: list[int | None]) -> None:
    ws = await session.ws_connect(f"{url}/ws/datapoints/stream?token={token}")
    async for _ in ws:
        pass
    codes.append(ws.close_code)


async def _token(session: aiohttp.ClientSession, url: str) -> str:
    async with session.post(f"{url}/api/v1/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}) as r:
        return str((await r.json())["access_token"])


async def _event(session: aiohttp.ClientSession, url: str, token: str) -> str:
    headers = {"Authorization": f"Bearer {token}"}
    # Data is accepted for events that an enabled plugin instance maps.
    body = {"plugin_id": "simulated", "instance_name": "Rig", "enabled": True}
    async with session.post(f"{url}/api/v1/plugins", json=body, headers=headers) as resp:
        assert resp.status == 201, await resp.text()
    async with session.get(f"{url}/api/v1/events", headers=headers) as resp:
        return str((await resp.json())["data"][0]["public_id"])


async def test_sigterm_closes_sockets_with_1001_exits_within_2_s_and_loses_nothing(
    tmp_path: Path, pytestconfig: pytest.Config
) -> None:
    require_postgresql(pytestconfig)
    database = PostgresTestDatabase()
    database.create()
    env = {"WEBMACS_COMPACT_INTERVAL_SECONDS": "0"}
    server = ServerProcess(tmp_path, database.url, env=env).start()
    try:
        async with aiohttp.ClientSession() as session:
            token = await _token(session, server.url)
            event = await _event(session, server.url, token)
            codes: list[int | None] = []
            dashboards = [
                asyncio.ensure_future(_dashboard(session, server.url, token, codes)) for _ in range(DASHBOARDS)
            ]
            controllers = [Controller(f"shutdown-{n}", event) for n in range(CONTROLLERS)]
            streams = [asyncio.ensure_future(c.stream(session, server.url, token)) for c in controllers]
            await _poll(lambda: all(c.acked_points for c in controllers), within=60)
            await asyncio.sleep(0.3)
            assert all(c.acked_points for c in controllers), server.tail()

            took = await asyncio.to_thread(server.terminate)
            print(f"SIGTERM with {CONTROLLERS} controllers and {DASHBOARDS} dashboards: exit after {took:.2f} s")
            await asyncio.wait_for(asyncio.gather(*dashboards, *streams), 30)
        assert took <= 2.0, server.tail()
        assert server.process is not None and server.process.returncode == 0, server.tail()
        assert codes == [1001] * DASHBOARDS
        assert [c.close_code for c in controllers] == [1001] * CONTROLLERS

        acked = sum(c.acked_points for c in controllers)
        sent = sum(c.sent_points for c in controllers)
        restarted = ServerProcess(tmp_path, database.url, env=env).start()
        try:
            conn = await asyncpg.connect(database.dsn)
            try:
                stored = await conn.fetchval("SELECT count(*) FROM datapoints")
                assert stored >= acked
                # A controller sends its unacknowledged batches again: each is stored once or found a duplicate.
                async with aiohttp.ClientSession() as session:
                    token = await _token(session, restarted.url)
                    for controller in controllers:
                        await controller.stream(session, restarted.url, token, resend_only=True)
                        assert controller.unacked == {}
                assert await conn.fetchval("SELECT count(*) FROM datapoints") == sent
            finally:
                await conn.close()
        finally:
            restarted.terminate()
    finally:
        server.kill()
        database.drop()
