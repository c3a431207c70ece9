import asyncio
import itertools
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest
from e2e_support import COUNT_EVENT, VALVE_EVENT, CounterDevice, FakeServer, FaultProxy
from local_server import serving

from webmacs_controller.controller import START_MESSAGE, STOP_MESSAGE, Controller
from webmacs_controller.settings import ControllerSettings
from webmacs_controller.spool import Spool
from webmacs_sdk.testing import eventually


@pytest.fixture
async def server() -> AsyncIterator[FakeServer]:
    CounterDevice.counter = itertools.count(1)
    CounterDevice.created = []
    CounterDevice.valve = -1.0
    CounterDevice.valve_writes = []
    fake = FakeServer()
    async with serving(fake.app()) as fake.port:
        yield fake


@pytest.fixture
async def proxy(server: FakeServer) -> AsyncIterator[FaultProxy]:
    p = FaultProxy(server.port)
    await p.start()
    yield p
    await p.close()


def settings(port: int, spool: Path) -> ControllerSettings:
    return ControllerSettings(
        server_url="http://127.0.0.1",
        server_port=port,
        admin_email="admin@webmacs.io",
        admin_password="secret",
        poll_interval=0.2,
        plugin_sync_interval=0.5,
        spool_path=str(spool),
        auto_seed=False,
        safe_state_after=3600,
        request_timeout=5,
    )


def counts(server: FakeServer) -> list[float]:
    return [dp["value"] for dp in server.readings if dp["event_public_id"] == COUNT_EVENT]


def valve_reports(server: FakeServer) -> list[float]:
    return [dp["value"] for dp in server.readings if dp["event_public_id"] == VALVE_EVENT]


def assert_exactly_once_in_order(server: FakeServer) -> None:
    produced = next(CounterDevice.counter) - 1  # every value the device ever handed out
    assert counts(server) == [float(i) for i in range(1, produced + 1)]
    stamps = [datetime.fromisoformat(dp["timestamp"]) for dp in server.readings]
    assert all(ts.tzinfo is not None for ts in stamps)
    assert stamps == sorted(stamps)


async def test_every_reading_arrives_once_in_order_through_20_cuts(
    server: FakeServer, proxy: FaultProxy, tmp_path: Path
) -> None:
    server.withhold_every = 7
    server.busy_at_seq = 3
    controller = Controller(settings(proxy.port, tmp_path / "spool.db"), drivers={"counter": CounterDevice})
    run = asyncio.create_task(controller.run())
    await eventually(lambda: len(counts(server)) > 20)
    assert CounterDevice.valve == 100.0  # latest value 150 written, clamped to the channel range
    # What the driver applied goes back as the output's newest value, and only that.
    await eventually(lambda: valve_reports(server) == [100.0])
    # A write the driver refuses is logged on the server; the output still holds (and reports) 100.
    server.latest_valve = 42.0
    await eventually(lambda: any("refused the value 42" in entry for entry in server.logs))
    assert "Output Counter/valve refused the value 42: [counter] valve jammed" in server.logs
    await eventually(lambda: valve_reports(server)[-1:] == [100.0] and len(valve_reports(server)) >= 2)
    assert CounterDevice.valve == 100.0
    # An edited instance is replaced; the old one's safe value is not where the output stays.
    server.latest_valve = 150.0
    server.updated_on = "2026-01-02T00:00:00Z"
    await eventually(lambda: len(CounterDevice.created) >= 2 and CounterDevice.valve_writes[-2:] == [0.0, 100.0])

    for _ in range(20):
        await asyncio.sleep(0.2)
        proxy.cut()
    server.withhold_every = 0
    reads_before_stop = len(counts(server))
    await eventually(lambda: len(counts(server)) > reads_before_stop)

    controller.stop()
    assert await asyncio.wait_for(run, 15) == 0
    assert proxy.cuts == 20
    assert len(counts(server)) > reads_before_stop > 20
    assert_exactly_once_in_order(server)
    assert server.duplicates > 0  # lost acks were replayed and stored only once
    assert CounterDevice.valve == 0.0  # safe value on shutdown
    assert server.logs[0] == START_MESSAGE and server.logs[-1] == STOP_MESSAGE
    assert Spool(tmp_path / "spool.db").stats().pending_batches == 0


async def test_spool_replays_after_restart(server: FakeServer, proxy: FaultProxy, tmp_path: Path) -> None:
    spool_path = tmp_path / "spool.db"
    server.telemetry_enabled = False  # server up, telemetry storage down: everything stays spooled
    first = Controller(settings(proxy.port, spool_path), drivers={"counter": CounterDevice})
    run = asyncio.create_task(first.run())
    await asyncio.sleep(1.5)
    first.stop()
    assert await asyncio.wait_for(run, 15) == 0
    assert server.readings == []
    left = Spool(spool_path)
    assert left.pending_count > 0
    left.close()

    server.telemetry_enabled = True
    second = Controller(settings(proxy.port, spool_path), drivers={"counter": CounterDevice})
    run = asyncio.create_task(second.run())
    await eventually(lambda: len(counts(server)) > 60)
    for _ in range(5):
        await asyncio.sleep(0.2)
        proxy.cut()
    await asyncio.sleep(0.5)
    second.stop()
    assert await asyncio.wait_for(run, 15) == 0
    assert_exactly_once_in_order(server)
    assert len(server.controller_ids) == 1  # the id persisted in the spool survived the restart


async def test_wrong_password_is_fatal(server: FakeServer, tmp_path: Path) -> None:
    s = settings(server.port, tmp_path / "spool.db")
    s.admin_password = "wrong"
    assert await asyncio.wait_for(Controller(s, drivers={}).run(), 10) == 1
