"""A minimal WebMACS device driver: copy this package, rename it, and replace the marked parts.

The driver reads one sensor and drives one output. Everything device-specific lives in the four ``_do_*``
methods; the SDK does the rest (state machine, demo mode, conversions, clamping, safe values, health).
"""

from __future__ import annotations

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

__all__ = ["TemplateConfig", "TemplateDevice", "webmacs_register_drivers"]


class TemplateConfig(PluginInstanceConfig):
    """Your driver's own settings; they appear in the instance form (JSON Schema) on the server."""

    address: str = Field(
        default="127.0.0.1", description="where the device is", json_schema_extra={"ui_order": 10}
    )


class TemplateDevice(DevicePlugin):
    """Template device with a temperature input and a heater output."""

    # REPLACE: a unique, lower-case id without spaces; it is the key of your driver everywhere.
    meta = PluginMeta(id="template", name="Template Device", version="0.1.0", vendor="You")
    config_schema = TemplateConfig

    def __init__(self) -> None:
        super().__init__()
        # REPLACE: your connection object (a client, a serial port ...).
        self._registers: dict[str, float] | None = None

    def get_channels(self) -> list[ChannelDescriptor]:
        """Declare what the device exposes; ranges clamp writes, ``simulation`` feeds demo mode."""
        return [
            ChannelDescriptor(
                id="temperature",
                name="Temperature",
                direction=ChannelDirection.INPUT,
                unit="°C",
                min_value=-20,
                max_value=120,
                simulation=SimulationSpec(base_value=21, amplitude=3, period_seconds=120, noise=0.1),
            ),
            ChannelDescriptor(
                id="heater",
                name="Heater",
                direction=ChannelDirection.OUTPUT,
                unit="%",
                min_value=0,
                max_value=100,
                safe_value=0,
            ),
        ]

    async def _do_connect(self) -> None:
        # REPLACE: open the connection to ``self.config.address``; raise on failure.
        self._registers = {"temperature": 21.5, "heater": 0.0}

    async def _do_disconnect(self) -> None:
        # REPLACE: close the connection. Safe values were already written by the SDK.
        self._registers = None

    async def _do_read(self, channel_id: str) -> ChannelValue | None:
        # REPLACE: read the raw value; the channel's read_conversion turns it into engineering units.
        if self._registers is None:
            raise ConnectionError("not connected")
        return self._registers[channel_id]

    async def _do_write(self, channel_id: str, value: float) -> None:
        # REPLACE: write the raw value (already clamped and converted by the SDK).
        if self._registers is None:
            raise ConnectionError("not connected")
        self._registers[channel_id] = value


@hookimpl
def webmacs_register_drivers() -> list[type[DevicePlugin]]:
    """Tell WebMACS (controller and server catalogue) about the driver."""
    return [TemplateDevice]
