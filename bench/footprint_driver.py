"""A driver with as many simulated input channels as configured, for the footprint benchmark."""

from __future__ import annotations

from pydantic import Field

from webmacs_sdk import hookimpl
from webmacs_sdk.device import (
    ChannelDescriptor,
    ChannelDirection,
    ChannelValue,
    DevicePlugin,
    PluginInstanceConfig,
    PluginMeta,
    SimulationSpec,
)


class WideConfig(PluginInstanceConfig):
    """How many channels the instance has."""

    channels: int = Field(default=100, ge=1, le=1000)


class WideDevice(DevicePlugin):
    """``channels`` sine-wave inputs; in demo mode the SDK simulates them, as the simulated driver does."""

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
    return [WideDevice]
