"""Sensor path: poll each instance at its own interval, stamp readings with device time, batch to spool."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from webmacs_sdk.device import PluginError, PluginState

from .bridge import Instance
from .spool import Spool

log = logging.getLogger("webmacs.controller.sensors")


class SensorPump:
    """Runs one polling task per instance and moves their readings into the spool in batches."""

    def __init__(
        self, spool: Spool, notify: Callable[[], None], max_batch_size: int = 100, dedup: bool = False
    ) -> None:
        self._spool = spool
        self._notify = notify
        self._max_batch = max_batch_size
        self._dedup = dedup
        self._buffer: list[dict[str, Any]] = []
        self._last_sent: dict[str, float] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._stopping = asyncio.Event()
        self.readings = 0

    def track(self, instances: dict[str, Instance]) -> None:
        """Start polling new instances and stop polling removed ones."""
        if self._stopping.is_set():
            return
        for public_id in list(self._tasks):
            if public_id not in instances or self._tasks[public_id].done():
                self._tasks.pop(public_id).cancel()
        for public_id, inst in instances.items():
            if public_id not in self._tasks:
                self._tasks[public_id] = asyncio.create_task(self._poll(inst), name=f"poll-{public_id}")

    async def stop(self, grace: float = 5.0) -> None:
        """Let every polling task finish its current read, then move what was read into the spool.

        Cancelling a task in the middle of a read would lose a value the device already produced
        (a counter that advanced, a FIFO that was emptied); only a read hanging longer than ``grace``
        seconds is cancelled.
        """
        self._stopping.set()
        tasks = list(self._tasks.values())
        if tasks:
            _, hanging = await asyncio.wait(tasks, timeout=grace)
            for task in hanging:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._tasks.clear()
        self.flush()

    async def _poll(self, inst: Instance) -> None:
        while not self._stopping.is_set():
            # Read each round: the bridge swaps in a replacement (new version, new configuration).
            plugin = inst.plugin
            started = time.monotonic()
            if plugin.state is PluginState.CONNECTED and inst.channel_events:
                try:
                    values = await plugin.read_all_inputs()
                except PluginError as exc:
                    log.warning("Reading %r failed: %s", plugin.instance_name, exc)
                else:
                    self._collect(inst, values, datetime.now(UTC).isoformat())
            pause = max(plugin.poll_interval - (time.monotonic() - started), 0.0)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), pause)

    def _collect(self, inst: Instance, values: dict[str, Any], timestamp: str) -> None:
        for channel_id, value in values.items():
            event = inst.channel_events.get(channel_id)
            if event is None or value is None:
                continue
            try:
                number = float(value)
            except (TypeError, ValueError):
                log.warning("%s/%s: %r is not numeric", inst.plugin.instance_name, channel_id, value)
                continue
            if not math.isfinite(number):
                continue
            if self._dedup and self._last_sent.get(event) == number:
                continue
            self._last_sent[event] = number
            self._buffer.append({"value": number, "event_public_id": event, "timestamp": timestamp})
            self.readings += 1
        if len(self._buffer) >= self._max_batch:
            self.flush()

    def record(self, event_public_id: str, value: float) -> None:
        """Queue one reading taken outside the polls (the value an output was set to)."""
        self._last_sent[event_public_id] = value
        self._buffer.append(
            {"value": value, "event_public_id": event_public_id, "timestamp": datetime.now(UTC).isoformat()}
        )
        self.readings += 1
        self.flush()

    def flush(self) -> int:
        """Write buffered readings to the spool in batches of ``max_batch_size``; returns batches written."""
        written = 0
        while self._buffer:
            chunk, self._buffer = self._buffer[: self._max_batch], self._buffer[self._max_batch :]
            self._spool.append(chunk)
            written += 1
        if written:
            self._notify()
        return written
