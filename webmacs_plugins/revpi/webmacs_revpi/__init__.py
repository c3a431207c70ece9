"""Revolution Pi driver: process-image IO discovered from the PiCtory configuration, via revpimodio2."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from webmacs_sdk.device import (
    ChannelDescriptor,
    ChannelValue,
    DevicePlugin,
    PluginInstanceConfig,
    PluginMeta,
    PluginState,
    SyncDevicePlugin,
)
from webmacs_sdk.markers import hookimpl

from .pictory import demo_channels, find_config, read_io_points, to_channel

__all__ = ["RevPiConfig", "RevPiDevice", "webmacs_register_drivers"]


class RevPiConfig(PluginInstanceConfig):
    """Where the PiCtory configuration and process image are, and which modules to expose."""

    configrsc: str | None = Field(default=None, description="PiCtory config.rsc (default: RevPi OS location)")
    procimg: str | None = Field(default=None, description="process image (default: /dev/piControl0)")
    device_filter: list[str] = Field(default_factory=list, description="only modules with these bmk/names")
    simulator: bool = Field(default=False, description="revpimodio2 simulator mode (inputs become writable)")


class RevPiDevice(SyncDevicePlugin):
    """Inputs and outputs of a Revolution Pi, named ``<module bmk>__<io name>``.

    Without revpimodio2 or a PiCtory configuration the driver offers 28 demo channels (``Input_1..14`` and
    ``Output_1..14``) so an instance can still be created and shown in demo mode.
    """

    meta = PluginMeta(
        id="revpi",
        name="Revolution Pi",
        version="0.1.0",
        vendor="WebMACS",
        description="Revolution Pi process image via revpimodio2 and the PiCtory configuration.",
        protocol="piControl",
        url="https://revolutionpi.com",
        tags=["revpi", "plc", "io"],
    )
    config_schema = RevPiConfig

    def __init__(self) -> None:
        super().__init__()
        self._modio: Any = None
        self._io_names: dict[str, str] = {}

    @property
    def _cfg(self) -> RevPiConfig:
        config = self.config
        assert isinstance(config, RevPiConfig)
        return config

    def get_channels(self) -> list[ChannelDescriptor]:
        """Channels from the PiCtory configuration, or the demo set when there is none."""
        path = find_config(self._cfg.configrsc)
        if path is None:
            self.log.info("No PiCtory configuration found; offering the demo channel set")
            self._io_names = {}
            return demo_channels()
        points = read_io_points(path, self._cfg.device_filter)
        self._io_names = {p.channel_id: p.io_name for p in points}
        return [to_channel(p) for p in points]

    def connect_sync(self) -> None:
        """Open the process image with the PiCtory configuration."""
        import revpimodio2

        if not self._io_names:
            raise RuntimeError("no PiCtory configuration: nothing to connect to")
        self._modio = revpimodio2.RevPiModIO(
            autorefresh=False,
            procimg=self._cfg.procimg,
            configrsc=self._cfg.configrsc,
            simulator=self._cfg.simulator,
        )

    def disconnect_sync(self) -> None:
        """Release the process image."""
        if self._modio is not None:
            self._modio.cleanup()
            self._modio = None

    def _value(self, channel_id: str) -> ChannelValue:
        value = self._modio.io[self._io_names[channel_id]].value
        return value if isinstance(value, bool) else int(value)

    def read_sync(self, channel_id: str) -> ChannelValue | None:
        """Refresh the process image and return one IO value."""
        self._modio.readprocimg()
        return self._value(channel_id)

    def write_sync(self, channel_id: str, value: float) -> None:
        """Set one IO and write the process image."""
        io = self._modio.io[self._io_names[channel_id]]
        is_bit = self.get_channel(channel_id).data_type == "bool"
        io.value = bool(round(value)) if is_bit else round(value)
        self._modio.writeprocimg()

    def _read_inputs_sync(self, channel_ids: list[str]) -> dict[str, ChannelValue | None]:
        self._modio.readprocimg()
        return {cid: self._value(cid) for cid in channel_ids}

    async def read_all_inputs(self) -> dict[str, ChannelValue | None]:
        """All inputs from a single process-image read, so they are consistent with each other."""
        if self.is_demo_mode or self._modio is None or self.state is not PluginState.CONNECTED:
            return await super().read_all_inputs()
        readable = [c.id for c in self.channels if c.is_readable]
        try:
            return await self.run_locked(self._read_inputs_sync, readable)
        except Exception as exc:
            self._record_failure(exc)
            self.log.warning("Process image read failed: %s", exc)
            return dict.fromkeys(readable)


@hookimpl
def webmacs_register_drivers() -> list[type[DevicePlugin]]:
    """The Revolution Pi driver."""
    return [RevPiDevice]
