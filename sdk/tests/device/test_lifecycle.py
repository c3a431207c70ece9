import asyncio

import pytest
from drivers import BlockingDevice, MemoryDevice

from webmacs_sdk.device import (
    CapabilityNotFoundError,
    HealthMonitor,
    PluginConfigError,
    PluginConnectionError,
    PluginState,
    PluginStateError,
)
from webmacs_sdk.device.testing import DriverConformanceSuite


def hardware(**cfg: object) -> MemoryDevice:
    device = MemoryDevice()
    device.configure({"instance_name": "bench", "demo_mode": False, **cfg})
    return device


class TestMemoryDeviceConformance(DriverConformanceSuite):
    plugin_class = MemoryDevice

    @pytest.fixture
    def hardware_config(self) -> dict[str, object]:
        return {}


class TestBlockingDeviceConformance(DriverConformanceSuite):
    plugin_class = BlockingDevice

    @pytest.fixture
    def hardware_config(self) -> dict[str, object]:
        return {}


async def test_reads_are_converted_and_writes_inverted() -> None:
    device = hardware()
    async with device:
        assert await device.read("temperature") == 21.5
        assert await device.write("valve", 42) == 42
        assert device.registers["valve"] == pytest.approx(420)
        assert await device.write("valve", 250) == 100  # clamped before conversion
        assert device.registers["valve"] == pytest.approx(1000)
    # disconnect wrote the safe value through the same conversion
    assert device.registers["valve"] == pytest.approx(50)
    assert device.connected is False


async def test_state_machine() -> None:
    device = MemoryDevice()
    assert device.state is PluginState.DISCOVERED
    with pytest.raises(PluginStateError):
        await device.connect()
    device.configure({"demo_mode": False})
    assert device.state is PluginState.CONFIGURED
    with pytest.raises(PluginStateError):
        await device.read("temperature")  # hardware reads need a connection
    await device.connect()
    with pytest.raises(PluginStateError):
        await device.connect()
    with pytest.raises(PluginStateError):
        device.configure({})
    await device.disconnect()
    await device.connect()  # reconnect from disconnected is allowed
    assert device.state is PluginState.CONNECTED


def test_invalid_config_is_a_config_error() -> None:
    with pytest.raises(PluginConfigError) as info:
        MemoryDevice().configure({"poll_interval_ms": "often"})
    assert str(info.value).startswith("[memory] Invalid configuration")


async def test_connect_failure_goes_to_error_state() -> None:
    device = hardware(fail_connect=True)
    with pytest.raises(PluginConnectionError):
        await device.connect()
    report = device.health_check()
    assert device.state is PluginState.ERROR
    assert report.error_count == 1 and "unreachable" in (report.last_error or "")
    assert not report.is_healthy


async def test_hardware_errors_on_read_yield_none_and_count() -> None:
    device = hardware()
    await device.connect()
    device.fail_io = True
    assert await device.read("temperature") is None
    assert device.error_count == 1
    with pytest.raises(OSError):
        await device.write("valve", 1)
    assert device.error_count == 2


async def test_persistent_failures_mark_error_and_monitor_reconnects() -> None:
    device = hardware(retry_policy={"base_delay": 1, "max_attempts": 2})
    await device.connect()
    device.fail_io = True
    for _ in range(5):
        await device.read("temperature")
    assert device.state is PluginState.ERROR

    monitor = HealthMonitor()
    monitor.track("dev", device)
    device.config.fail_connect = True  # type: ignore[attr-defined]
    await monitor.check_once(now=100.0)
    assert device.health_check().reconnect_attempts == 1
    await monitor.check_once(now=100.5)  # still backing off: no attempt
    assert device.health_check().reconnect_attempts == 1
    device.config.fail_connect = False  # type: ignore[attr-defined]
    device.fail_io = False
    await monitor.check_once(now=101.0)
    assert device.state is PluginState.CONNECTED
    assert monitor.get_all_reports()["dev"].is_healthy


async def test_monitor_gives_up_after_max_attempts() -> None:
    device = hardware(fail_connect=True, retry_policy={"base_delay": 0.1, "max_attempts": 2})
    with pytest.raises(PluginConnectionError):
        await device.connect()
    monitor = HealthMonitor()
    monitor.track("dev", device)
    for now in (1.0, 2.0, 3.0, 4.0):
        await monitor.check_once(now=now)
    assert device.error_count == 3  # first connect + two retries, then no more


async def test_monitor_run_loop_stops() -> None:
    monitor = HealthMonitor(check_interval=0.01)
    task = asyncio.create_task(monitor.run())
    await asyncio.sleep(0.03)
    monitor.stop()
    await asyncio.wait_for(task, 1)


async def test_demo_mode_never_touches_hardware() -> None:
    device = MemoryDevice()
    device.configure({"demo_mode": True})
    async with device:
        await device.write("valve", 80)
        assert device.registers["valve"] == 0
        assert device.written_values["valve"] == 80
    assert device.connected is False
    assert device.written_values["valve"] == 5


async def test_unknown_and_input_channels() -> None:
    device = hardware()
    await device.connect()
    with pytest.raises(CapabilityNotFoundError):
        await device.write("nope", 1)
    with pytest.raises(PluginStateError):
        await device.write("temperature", 1)
    await device.write("level", 30)  # bidirectional accepts writes


async def test_sync_plugin_runs_in_worker_threads_one_at_a_time() -> None:
    import threading

    device = BlockingDevice()
    device.configure({"demo_mode": False})
    await device.connect()
    await asyncio.gather(*(device.read(f"in{i}") for i in range(4)), device.write("out", 1))
    assert threading.get_ident() not in device.threads
    assert device.max_active == 1
    await device.disconnect()
