"""In-memory drivers used by the device SDK tests."""

from __future__ import annotations

import threading
import time

from webmacs_sdk.device import (
    ChannelDescriptor,
    ChannelDirection,
    ChannelValue,
    ConversionSpec,
    DevicePlugin,
    PluginInstanceConfig,
    PluginMeta,
    SyncDevicePlugin,
)


class MemoryConfig(PluginInstanceConfig):
    fail_connect: bool = False


class MemoryDevice(DevicePlugin):
    """Registers in a dict; raw temperature is tenths of a degree, valve raw is 0..1000."""

    meta = PluginMeta(id="memory", name="Memory Device", version="1.0")
    config_schema = MemoryConfig

    def __init__(self) -> None:
        super().__init__()
        self.registers: dict[str, float] = {"temperature": 215.0, "valve": 0.0, "level": 50.0}
        self.connected = False
        self.fail_io = False

    def get_channels(self) -> list[ChannelDescriptor]:
        return [
            ChannelDescriptor(
                id="temperature",
                name="Temperature",
                direction=ChannelDirection.INPUT,
                unit="°C",
                min_value=-50,
                max_value=150,
                read_conversion=ConversionSpec(type="divide", divisor=10),
            ),
            ChannelDescriptor(
                id="valve",
                name="Valve",
                direction=ChannelDirection.OUTPUT,
                unit="%",
                min_value=0,
                max_value=100,
                safe_value=5,
                write_conversion=ConversionSpec(type="linear", scale=0.1, offset=0),
            ),
            ChannelDescriptor(id="level", name="Level", direction=ChannelDirection.BIDIRECTIONAL, unit="%"),
        ]

    async def _do_connect(self) -> None:
        assert isinstance(self.config, MemoryConfig)
        if self.config.fail_connect:
            raise OSError("device unreachable")
        self.connected = True

    async def _do_disconnect(self) -> None:
        self.connected = False

    async def _do_read(self, channel_id: str) -> ChannelValue | None:
        if self.fail_io:
            raise OSError("bus error")
        return self.registers[channel_id]

    async def _do_write(self, channel_id: str, value: float) -> None:
        if self.fail_io:
            raise OSError("bus error")
        self.registers[channel_id] = value


class BlockingDevice(SyncDevicePlugin):
    """Records which thread ran each call and how many ran at once."""

    meta = PluginMeta(id="blocking", name="Blocking Device", version="1.0")

    def __init__(self) -> None:
        super().__init__()
        self.threads: set[int] = set()
        self.active = 0
        self.max_active = 0
        self._guard = threading.Lock()

    def get_channels(self) -> list[ChannelDescriptor]:
        return [
            ChannelDescriptor(id=f"in{i}", name=f"In {i}", direction=ChannelDirection.INPUT, unit="V")
            for i in range(4)
        ] + [
            ChannelDescriptor(id="out", name="Out", direction=ChannelDirection.OUTPUT, unit="V", safe_value=0)
        ]

    def _enter(self) -> None:
        self.threads.add(threading.get_ident())
        with self._guard:
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        time.sleep(0.02)
        with self._guard:
            self.active -= 1

    def connect_sync(self) -> None:
        self._enter()

    def disconnect_sync(self) -> None:
        self._enter()

    def read_sync(self, channel_id: str) -> ChannelValue | None:
        self._enter()
        return 1.0

    def write_sync(self, channel_id: str, value: float) -> None:
        self._enter()
