"""A driver with as many simulated input channels as configured, for the footprint benchmark."""

from __future__ import annotations

from pydantic import Field

from webmacs_sdk import hookimpl
from webmacs_sdk.device import (
    ChannelDescriptor,
    ChannelDirection,
    DevicePlugin,
    PluginInstanceConfig,
    PluginMeta,
    SimulationSpec,
)
from webmacs_simulated import SimulatedDevice


class WideConfig(PluginInstanceConfig):
    """How many channels the instance has."""

    channels: int = Field(default=100, ge=1, le=1000)


class WideDevice(SimulatedDevice):
    """``channels`` sine-wave inputs, always simulated (demo mode) like the simulated driver it extends."""

    meta = PluginMeta(id="bench_wide", name="Bench: many channels", version="1.0")
    config_schema = WideConfig

    def get_channels(self) -> list[ChannelDescriptor]:
        count = self.config.channels if isinstance(self.config, WideConfig) else 100
        return [
            ChannelDescriptor(
                id=f"ch{i:03d}",
                name=f"Channel {i:03d}",
                direction=ChannelDirection.INPUT,
                unit="V",
                simulation=SimulationSpec(base_value=50, amplitude=40, period_seconds=30 + i),
            )
            for i in range(count)
        ]


@hookimpl
def webmacs_register_drivers() -> list[type[DevicePlugin]]:
    return [WideDevice]
