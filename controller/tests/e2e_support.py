"""Loopback server speaking the telemetry protocol, a fault-injecting TCP proxy and a counter driver."""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from webmacs_sdk.device import (
    ChannelDescriptor,
    ChannelDirection,
    ChannelValue,
    DevicePlugin,
    PluginConnectionError,
    PluginMeta,
)

INSTANCE_ID = "11111111-1111-1111-1111-111111111111"
COUNT_EVENT = "aaaaaaaa-0000-0000-0000-000000000001"
LEVEL_EVENT = "aaaaaaaa-0000-0000-0000-000000000002"
VALVE_EVENT = "aaaaaaaa-0000-0000-0000-000000000003"


class CounterDevice(DevicePlugin):
    """Every read of ``count`` returns the next integer of a counter shared by all instances."""

    meta = PluginMeta(id="counter", name="Counter", version="1.0")
    counter = itertools.count(1)
    created: list[CounterDevice] = []
    valve = -1.0
    valve_writes: list[float] = []

    def __init__(self) -> None:
        super().__init__()
        CounterDevice.created.append(self)

    def get_channels(self) -> list[ChannelDescriptor]:
        return [
            ChannelDescriptor(
                id="count", name="Count", direction=ChannelDirection.INPUT, unit="n", max_value=1e9
            ),
            ChannelDescriptor(id="level", name="Level", direction=ChannelDirection.INPUT, unit="%"),
            ChannelDescriptor(
                id="valve", name="Valve", direction=ChannelDirection.OUTPUT, unit="%", safe_value=0
            ),
        ]

    async def _do_connect(self) -> None:
        return None

    async def _do_disconnect(self) -> None:
        return None

    async def _do_read(self, channel_id: str) -> ChannelValue | None:
        return float(next(CounterDevice.counter)) if channel_id == "count" else 42.0

    async def _do_write(self, channel_id: str, value: float) -> None:
        if value == 42.0:
            raise PluginConnectionError(self.meta.id, "valve jammed")
        CounterDevice.valve = value
        CounterDevice.valve_writes.append(value)


@dataclass
class FakeServer:
    """Just the REST calls and the acknowledged telemetry protocol the controller uses."""

    password: str = "secret"
    telemetry_enabled: bool = True
    withhold_every: int = 0  # commit but do not ack every n-th batch (a lost ack)
    busy_at_seq: int = 0  # storage goes down for ``busy_for`` seconds when this seq arrives
    busy_for: float = 0.3
    busy_until: float = 0.0
    stored: dict[tuple[str, int], list[dict[str, Any]]] = field(default_factory=dict)
    readings: list[dict[str, Any]] = field(default_factory=list)
    duplicates: int = 0
    logs: list[str] = field(default_factory=list)
    logins: int = 0
    controller_ids: set[str] = field(default_factory=set)
    latest_valve: float = 150.0
    updated_on: str = "2026-01-01T00:00:00Z"
    port: int = 0

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/api/v1/auth/login", self.login)
        app.router.add_get("/api/v1/plugins", self.plugins)
        app.router.add_get("/api/v1/plugins/{id}/channels", self.channels)
        app.router.add_get("/api/v1/datapoints/latest", self.latest)
        app.router.add_post("/api/v1/logging", self.logging)
        app.router.add_get("/ws/controller/telemetry", self.telemetry)
        return app

    def _authorised(self, request: web.Request) -> bool:
        return request.headers.get("Authorization", "").startswith("Bearer jwt-")

    async def login(self, request: web.Request) -> web.Response:
        body = await request.json()
        if body.get("password") != self.password:
            return web.json_response({"detail": "Invalid credentials."}, status=401)
        self.logins += 1
        return web.json_response({"status": "success", "access_token": f"jwt-{self.logins}"})

    async def plugins(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.json_response({"detail": "Not authenticated"}, status=401)
        records = [
            {
                "public_id": INSTANCE_ID,
                "plugin_id": "counter",
                "instance_name": "Counter",
                "demo_mode": False,
                "enabled": True,
                "config_json": json.dumps({"poll_interval_ms": 50}),
                "updated_on": self.updated_on,
            },
            {
                "public_id": "disabled",
                "plugin_id": "counter",
                "instance_name": "Off",
                "demo_mode": False,
                "enabled": False,
                "config_json": None,
            },
        ]
        # One item per page, so the controller must follow the pages to find everything.
        page = int(request.query.get("page", "1"))
        return web.json_response({"page": page, "page_size": 1, "total": 2, "data": records[page - 1 : page]})

    async def channels(self, request: web.Request) -> web.Response:
        return web.json_response(
            [
                {"channel_id": "count", "event_public_id": COUNT_EVENT},
                {"channel_id": "level", "event_public_id": LEVEL_EVENT},
                {"channel_id": "valve", "event_public_id": VALVE_EVENT},
            ]
        )

    async def latest(self, request: web.Request) -> web.Response:
        return web.json_response(
            [
                {"event_public_id": VALVE_EVENT, "value": self.latest_valve},
                {"event_public_id": COUNT_EVENT, "value": 1.0},
            ]
        )

    async def logging(self, request: web.Request) -> web.Response:
        self.logs.append((await request.json())["content"])
        return web.json_response({"status": "success"}, status=201)

    async def telemetry(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        if not request.query.get("token", "").startswith("jwt-"):
            await ws.close(code=1008, message=b"Invalid or expired token")
            return ws
        if not self.telemetry_enabled:
            await ws.close(code=1011, message=b"storage offline")
            return ws
        controller_id = request.query["controller_id"]
        self.controller_ids.add(controller_id)
        async for msg in ws:
            if msg.type is not WSMsgType.TEXT:
                continue
            frame = json.loads(msg.data)
            seq = frame["seq"]
            now = asyncio.get_running_loop().time()
            if seq == self.busy_at_seq:
                self.busy_at_seq = 0
                self.busy_until = now + self.busy_for
            if now < self.busy_until:
                await ws.send_json(
                    {"type": "error", "seq": seq, "message": "storage busy", "retryable": True}
                )
                continue
            key = (controller_id, seq)
            if key in self.stored:
                self.duplicates += 1
            else:
                self.stored[key] = frame["datapoints"]
                self.readings.extend(frame["datapoints"])
            if self.withhold_every and seq % self.withhold_every == 0 and self.duplicates == 0:
                continue
            await ws.send_json(
                {"type": "ack", "seq": seq, "accepted": len(frame["datapoints"]), "rejected": 0}
            )
        return ws


class FaultProxy:
    """TCP proxy on loopback whose :meth:`cut` aborts every open connection in both directions."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self.cuts = 0
        self._pairs: list[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = []
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        self.cut()
        if self._server:
            self._server.close()
            await self._server.wait_closed()

    def cut(self) -> None:
        for a, b in self._pairs:
            a.transport.abort()
            b.transport.abort()
        self._pairs.clear()
        self.cuts += 1

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.transport.abort()
            return
        self._pairs.append((writer, up_writer))
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.transport.abort()
