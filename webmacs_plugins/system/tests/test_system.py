import psutil
import pytest

from webmacs_sdk.device import PluginConnectionError, discover_plugins
from webmacs_sdk.device.testing import DriverConformanceSuite
from webmacs_system import SystemMonitor


class TestSystemConformance(DriverConformanceSuite):
    plugin_class = SystemMonitor


def test_discovered_by_id() -> None:
    assert discover_plugins()["system"] is SystemMonitor


async def test_real_metrics_are_plausible() -> None:
    monitor = SystemMonitor()
    monitor.configure({"demo_mode": False})
    async with monitor:
        values = await monitor.read_all_inputs()
    assert len(values) == 7
    assert 0 <= values["memory_percent"] <= 100  # type: ignore[operator]
    assert values["memory_used_gb"] == pytest.approx(psutil.virtual_memory().used / 1024**3, rel=0.2)
    assert 0 <= values["disk_percent"] <= 100  # type: ignore[operator]
    assert values["load_avg_1m"] is not None
    assert values["cpu_temp"] is None or 0 <= values["cpu_temp"] <= 110  # type: ignore[operator]


async def test_missing_temperature_sensor_gives_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(psutil, "sensors_temperatures", lambda: {}, raising=False)
    monitor = SystemMonitor()
    monitor.configure({"demo_mode": False})
    async with monitor:
        assert await monitor.read("cpu_temp") is None
        assert monitor.error_count == 0


async def test_wrong_disk_path_fails_connect() -> None:
    monitor = SystemMonitor()
    monitor.configure({"demo_mode": False, "disk_path": "/no/such/mount"})
    with pytest.raises(PluginConnectionError):
        await monitor.connect()
