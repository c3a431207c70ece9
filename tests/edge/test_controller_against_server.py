"""The real controller against the real server through a connection-cutting proxy.

The server runs as a child process on its own database; it is SIGKILLed and restarted on the same
database and port while the controller keeps reading a counter device. Afterwards every number the
device produced must be stored exactly once, in order, with the time the controller read it (not the
time the server finally received it). The second phase stops the controller while the server is down,
so readings wait in the on-disk spool across a controller restart.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from edge_counter import CounterDevice
from edge_support import HERE, Api, CuttingProxy, ServerProcess, counter_distribution, free_port
from sqlalchemy.ext.asyncio import create_async_engine

from webmacs_controller.controller import Controller
from webmacs_controller.settings import ControllerSettings
from webmacs_controller.spool import Spool
from webmacs_datapoints.tables import datapoints
from webmacs_events.tables import events
from webmacs_sdk.testing import eventually

CUTS = 20
KILL_AFTER_CUTS = (5, 12, 18)
#: Largest accepted delay between the device read and the stored timestamp (the batching delay).
STAMP_TOLERANCE = 1.0


async def stored_readings(database_url: str, event_public_id: str) -> list[tuple[float, datetime]]:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                sa.select(datapoints.c.value, datapoints.c.timestamp)
                .join(events, events.c.id == datapoints.c.event_id)
                .where(events.c.public_id == event_public_id)
                .order_by(datapoints.c.id)
            )
            return [(float(r.value), r.timestamp) for r in rows]
    finally:
        await engine.dispose()


def controller_settings(port: int, token: str, spool: Path, mode: str) -> ControllerSettings:
    return ControllerSettings(
        server_url="http://127.0.0.1",
        server_port=port,
        api_token=token,
        poll_interval=0.2,
        plugin_sync_interval=1.0,
        spool_path=str(spool),
        auto_seed=False,
        safe_state_after=3600,
        request_timeout=5,
        telemetry_mode=mode,
    )


def start_controller(settings: ControllerSettings) -> tuple[Controller, asyncio.Task[int]]:
    controller = Controller(settings, drivers={CounterDevice.meta.id: CounterDevice})
    return controller, asyncio.create_task(controller.run())


async def stop_controller(controller: Controller, task: asyncio.Task[int]) -> None:
    controller.stop()
    assert await asyncio.wait_for(task, 20) == 0


def spooled(controller: Controller) -> int:
    return controller.spool.pending_count if controller.spool is not None else -1


@pytest.mark.parametrize(
    ("backend", "mode"), [("postgresql", "websocket"), ("sqlite", "websocket"), ("postgresql", "http")]
)
async def test_exactly_once_through_disconnects_server_kills_and_controller_restart(
    backend: str, mode: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    database_url = (
        request.getfixturevalue("postgres_url")
        if backend == "postgresql"
        else f"sqlite+aiosqlite:///{tmp_path / 'webmacs.db'}"
    )
    CounterDevice.reset()
    site = counter_distribution(tmp_path / "site")
    server = ServerProcess(tmp_path, database_url, free_port(), {"PYTHONPATH": f"{site}:{HERE}"})
    server.start()
    proxy = CuttingProxy(server.port)
    controller: Controller | None = None
    task: asyncio.Task[int] | None = None
    try:
        await server.wait_healthy()
        admin = Api(server.url)
        await admin.login()
        token = await admin.api_token("edge controller")
        await admin.call(
            "POST",
            "/plugins",
            {
                "plugin_id": "edgecounter",
                "instance_name": "Counter",
                "demo_mode": False,
                "config_json": json.dumps({"poll_interval_ms": 50}),
            },
            expect=201,
        )
        instance = await admin.instance("Counter")
        event = next(m["event_public_id"] for m in instance["channel_mappings"] if m["channel_id"] == "count")
        await proxy.start()
        settings = controller_settings(proxy.port, token, tmp_path / "spool.db", mode)

        # Phase 1: 20 cut connections and 3 SIGKILLed servers while the counter runs.
        controller, task = start_controller(settings)
        await eventually(lambda: len(CounterDevice.produced) >= 20, 15, "first readings")
        for cut in range(1, CUTS + 1):
            await asyncio.sleep(0.25)
            proxy.cut()
            if cut in KILL_AFTER_CUTS:
                server.kill9()
                await asyncio.sleep(0.3)
                server.start()
                await server.wait_healthy()
        assert server.kills == 3 and proxy.cuts == CUTS

        # The server reports the instance: a real (non-demo) device that is connected.
        await eventually(lambda: controller is not None and controller.reporter is not None
                         and controller.reporter.reports >= 1, 15, "status report")
        assert (await admin.instance("Counter"))["status"] == "connected"

        # Phase 2: server down, controller stopped with a non-empty spool, restarted, server back.
        server.kill9()
        mark = len(CounterDevice.produced)
        await eventually(lambda: len(CounterDevice.produced) >= mark + 20, 10, "readings while offline")
        await stop_controller(controller, task)
        controller = task = None
        spool = Spool(tmp_path / "spool.db")
        left = spool.stats().pending_datapoints
        spool.close()
        assert left > 0, "the spool must hold the offline readings across the restart"
        controller, task = start_controller(settings)
        await asyncio.sleep(0.5)
        server.start()
        await server.wait_healthy()
        produced_before = len(CounterDevice.produced)
        await eventually(
            lambda: len(CounterDevice.produced) >= produced_before + 20, 30, "polling after restart"
        )
        await eventually(lambda: spooled(controller) == 0, 30, "spool drained")
        await stop_controller(controller, task)
        controller = task = None
        assert Spool(tmp_path / "spool.db").pending_count == 0

        produced = CounterDevice.produced
        values = [int(v) for v, _ in produced]
        assert values == list(range(1, len(values) + 1))
        rows = await stored_readings(database_url, event)
        stored = [int(v) for v, _ in rows]
        lost = sorted(set(values) - set(stored))
        duplicated = len(stored) - len(set(stored))
        assert (lost[:10], duplicated) == ([], 0), f"{len(lost)} lost, {duplicated} duplicated"
        assert stored == values, "stored in the order the device produced them"
        read_at = dict(produced)
        for value, stamp in rows:
            delay = stamp.timestamp() - read_at[int(value)]
            assert 0 <= delay < STAMP_TOLERANCE, f"reading {value} stamped {delay:.3f}s after its read"
        stamps = [stamp for _, stamp in rows]
        assert stamps == sorted(stamps)
    finally:
        if controller is not None and task is not None:
            controller.stop()
            await asyncio.wait_for(task, 20)
        await proxy.close()
        server.stop()
