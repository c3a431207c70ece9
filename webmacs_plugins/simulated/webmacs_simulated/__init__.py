"""Simulated device: realistic process values and actuators without any hardware."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from webmacs_sdk.device import (
    ChannelDescriptor,
    ChannelDirection,
    ChannelValue,
    DevicePlugin,
    PluginMeta,
    SimulationSpec,
)
from webmacs_sdk.markers import hookimpl

__all__ = ["SimulatedDevice", "webmacs_register_drivers"]


def _sensor(
    cid: str, name: str, unit: str, span: tuple[float, float], sim: SimulationSpec
) -> ChannelDescriptor:
    return ChannelDescriptor(
        id=cid, name=name, direction=ChannelDirection.INPUT, unit=unit, min_value=span[0], max_value=span[1],
        simulation=sim,
    )


def _sim(profile: str, base: float, amplitude: float, period: float = 60, noise: float = 0) -> SimulationSpec:
    return SimulationSpec.model_validate(
        {
            "profile": profile,
            "base_value": base,
            "amplitude": amplitude,
            "period_seconds": period,
            "noise": noise,
        }
    )


def _actuator(cid: str, name: str) -> ChannelDescriptor:
    return ChannelDescriptor(
        id=cid, name=name, direction=ChannelDirection.OUTPUT, unit="%", min_value=0, max_value=100,
        safe_value=0,
    )


class SimulatedDevice(DevicePlugin):
    """A small thermal process: reactor, inlet/outlet temperatures, pressures, flow, humidity, two actuators.

    Always runs in demo mode, whatever the configuration says, so it can be created on any machine.
    """

    meta = PluginMeta(
        id="simulated",
        name="Simulated Device",
        version="0.2.0",
        vendor="WebMACS",
        description="Simulated sensors and actuators for demos and tests.",
        protocol="simulation",
        tags=["demo", "simulation"],
    )

    def configure(self, config: Mapping[str, Any]) -> None:
        """Configure with ``demo_mode`` forced on."""
        super().configure({**config, "demo_mode": True})

    def get_channels(self) -> list[ChannelDescriptor]:
        """Seven sensors with distinct profiles and two percent actuators that fall back to 0."""
        return [
            _sensor("temp_reactor", "Reactor Temp", "°C", (20, 500), _sim("sine_wave", 260, 120, 120, 1.5)),
            _sensor("temp_inlet", "Inlet Temp", "°C", (15, 200), _sim("sine_wave", 80, 25, 90, 0.5)),
            _sensor("temp_outlet", "Outlet Temp", "°C", (15, 300), _sim("sine_wave", 140, 40, 150, 0.8)),
            _sensor("pressure_chamber", "Chamber Pressure", "bar", (0, 6), _sim("random_walk", 2.5, 0.3)),
            _sensor("pressure_diff", "Differential Pressure", "mbar", (0, 100), _sim("random_walk", 35, 4)),
            _sensor("volume_flow", "Volume Flow", "m³/h", (0, 40), _sim("sawtooth", 20, 15, 60, 0.3)),
            _sensor("humidity", "Humidity", "%", (0, 100), _sim("sine_wave", 45, 10, 300, 0.5)),
            _actuator("heater_power", "Heater Power"),
            _actuator("valve_position", "Valve Position"),
        ]

    # Never reached (always demo), but the base class requires them.
    async def _do_connect(self) -> None:
        return None

    async def _do_disconnect(self) -> None:
        return None

    async def _do_read(self, channel_id: str) -> ChannelValue | None:
        return None

    async def _do_write(self, channel_id: str, value: float) -> None:
        return None


@hookimpl
def webmacs_register_drivers() -> list[type[DevicePlugin]]:
    """The simulated device driver."""
    return [SimulatedDevice]
