"""System monitor driver: CPU, memory, disk, load and temperature of the machine the controller runs on."""

from __future__ import annotations

import os

import psutil
from pydantic import Field

from webmacs_sdk.device import (
    ChannelDescriptor,
    ChannelDirection,
    ChannelValue,
    DevicePlugin,
    PluginInstanceConfig,
    PluginMeta,
    SimulationSpec,
)
from webmacs_sdk.markers import hookimpl

__all__ = ["SystemConfig", "SystemMonitor", "webmacs_register_drivers"]

_GB = 1024**3


class SystemConfig(PluginInstanceConfig):
    """Which filesystem the disk channels report on."""

    disk_path: str = Field(default="/", json_schema_extra={"ui_order": 10})


def _channel(cid: str, name: str, unit: str, high: float, sim: SimulationSpec) -> ChannelDescriptor:
    return ChannelDescriptor(
        id=cid, name=name, direction=ChannelDirection.INPUT, unit=unit, max_value=high, simulation=sim
    )


def _cpu_temperature() -> float | None:
    # Not every platform exposes sensors (containers, macOS, Windows); no sensor means no value, not 0.
    reader = getattr(psutil, "sensors_temperatures", None)
    if reader is None:
        return None
    try:
        sensors = reader()
    except (OSError, RuntimeError):
        return None
    for name in ("coretemp", "k10temp", "cpu_thermal", "cpu-thermal", "soc_thermal", "acpitz"):
        if sensors.get(name):
            return float(sensors[name][0].current)
    for entries in sensors.values():
        if entries:
            return float(entries[0].current)
    return None


class SystemMonitor(DevicePlugin):
    """Seven host metrics read with psutil; ``cpu_temp`` is ``None`` where the host has no sensor."""

    meta = PluginMeta(
        id="system",
        name="System Monitor",
        version="0.1.0",
        vendor="WebMACS",
        description="CPU, memory, disk, load and temperature of the controller host.",
        protocol="psutil",
        tags=["system", "monitoring"],
    )
    config_schema = SystemConfig

    def get_channels(self) -> list[ChannelDescriptor]:
        """CPU, memory, disk, load average and CPU temperature."""
        sine = SimulationSpec.model_validate
        return [
            _channel(
                "cpu_percent", "CPU Usage", "%", 100, sine({"base_value": 30, "amplitude": 15, "noise": 3})
            ),
            _channel("memory_percent", "Memory Usage", "%", 100, sine({"base_value": 55, "amplitude": 5})),
            _channel("memory_used_gb", "Memory Used", "GB", 128, sine({"base_value": 4, "amplitude": 0.5})),
            _channel("disk_percent", "Disk Usage", "%", 100, sine({"profile": "constant", "base_value": 42})),
            _channel(
                "disk_used_gb", "Disk Used", "GB", 10000, sine({"profile": "constant", "base_value": 120})
            ),
            _channel(
                "load_avg_1m", "Load Average (1 min)", "load", 256, sine({"base_value": 1, "amplitude": 0.5})
            ),
            _channel("cpu_temp", "CPU Temperature", "°C", 110, sine({"base_value": 50, "amplitude": 8})),
        ]

    async def _do_connect(self) -> None:
        psutil.cpu_percent(interval=None)  # primes the counter so the first real read is meaningful
        psutil.disk_usage(self._disk_path)  # fails early on a wrong path

    async def _do_disconnect(self) -> None:
        return None

    @property
    def _disk_path(self) -> str:
        config = self.config
        return config.disk_path if isinstance(config, SystemConfig) else "/"

    async def _do_read(self, channel_id: str) -> ChannelValue | None:
        if channel_id == "cpu_percent":
            return float(psutil.cpu_percent(interval=None))
        if channel_id in ("memory_percent", "memory_used_gb"):
            memory = psutil.virtual_memory()
            return float(memory.percent) if channel_id == "memory_percent" else round(memory.used / _GB, 3)
        if channel_id in ("disk_percent", "disk_used_gb"):
            disk = psutil.disk_usage(self._disk_path)
            return float(disk.percent) if channel_id == "disk_percent" else round(disk.used / _GB, 3)
        if channel_id == "load_avg_1m":
            return float(os.getloadavg()[0]) if hasattr(os, "getloadavg") else None
        if channel_id == "cpu_temp":
            return _cpu_temperature()
        return None

    async def _do_write(self, channel_id: str, value: float) -> None:
        raise NotImplementedError("the system monitor has no outputs")


@hookimpl
def webmacs_register_drivers() -> list[type[DevicePlugin]]:
    """The system monitor driver."""
    return [SystemMonitor]
