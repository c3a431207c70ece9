"""Base for drivers built on blocking hardware libraries."""

from __future__ import annotations

import abc
import asyncio
import threading
from collections.abc import Callable
from typing import TypeVar

from .base import DevicePlugin
from .types import ChannelValue

T = TypeVar("T")


class SyncDevicePlugin(DevicePlugin):
    """A :class:`DevicePlugin` whose hardware calls are blocking functions.

    Implement :meth:`connect_sync`, :meth:`disconnect_sync`, :meth:`read_sync` and :meth:`write_sync`.
    Each call runs in a worker thread so the event loop keeps serving other devices, and a per-instance
    lock serialises them because most hardware libraries are not thread-safe.
    """

    def __init__(self) -> None:
        super().__init__()
        self._io_lock = threading.Lock()

    @abc.abstractmethod
    def connect_sync(self) -> None:
        """Open the hardware connection (blocking)."""

    @abc.abstractmethod
    def disconnect_sync(self) -> None:
        """Close the hardware connection (blocking)."""

    @abc.abstractmethod
    def read_sync(self, channel_id: str) -> ChannelValue | None:
        """Read one raw value (blocking)."""

    @abc.abstractmethod
    def write_sync(self, channel_id: str, value: float) -> None:
        """Write one raw value (blocking)."""

    async def run_locked(self, func: Callable[..., T], *args: object) -> T:
        """Run ``func(*args)`` in a worker thread while holding the instance's IO lock."""

        def call() -> T:
            with self._io_lock:
                return func(*args)

        return await asyncio.to_thread(call)

    async def _do_connect(self) -> None:
        await self.run_locked(self.connect_sync)

    async def _do_disconnect(self) -> None:
        await self.run_locked(self.disconnect_sync)

    async def _do_read(self, channel_id: str) -> ChannelValue | None:
        return await self.run_locked(self.read_sync, channel_id)

    async def _do_write(self, channel_id: str, value: float) -> None:
        await self.run_locked(self.write_sync, channel_id, value)
