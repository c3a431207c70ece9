"""A driver whose only input returns 1, 2, 3, ...: every reading is identifiable, so a test can check
that the server stored each one exactly once. Registered on the server through a test distribution."""

from __future__ import annotations

import itertools
import time

from webmacs_sdk import hookimpl
from webmacs_sdk.device import ChannelDescriptor, ChannelDirection, ChannelValue, DevicePlugin, PluginMeta


class CounterDevice(DevicePlugin):
    """Reads of ``count`` return the next integer of a process-wide counter and are recorded with time."""

    meta = PluginMeta(id="edgecounter", name="Edge Counter", version="1.0")
    counter = itertools.count(1)
    produced: list[tuple[int, float]] = []

    @classmethod
    def reset(cls) -> None:
        cls.counter = itertools.count(1)
        cls.produced = []

    def get_channels(self) -> list[ChannelDescriptor]:
        return [ChannelDescriptor(id="count", name="Count", direction=ChannelDirection.INPUT, unit="n",
                                  max_value=1e9)]

    async def _do_connect(self) -> None:
        return None

    async def _do_disconnect(self) -> None:
        return None

    async def _do_read(self, channel_id: str) -> ChannelValue | None:
        value = next(CounterDevice.counter)
        CounterDevice.produced.append((value, time.time()))
        return float(value)

    async def _do_write(self, channel_id: str, value: float) -> None:
        return None


@hookimpl
def webmacs_register_drivers() -> list[type[DevicePlugin]]:
    return [CounterDevice]
