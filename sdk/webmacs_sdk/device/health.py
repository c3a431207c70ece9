"""Health reports and the monitor that reconnects failed instances with exponential back-off."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from .types import PluginState

if TYPE_CHECKING:
    from .base import DevicePlugin

log = logging.getLogger("webmacs.device.health")


@dataclass(frozen=True)
class HealthReport:
    """Snapshot of one plugin instance's health."""

    plugin_id: str
    instance_name: str
    state: PluginState
    error_count: int
    last_error: str | None
    channel_count: int
    demo_mode: bool
    reconnect_attempts: int = 0

    @property
    def is_healthy(self) -> bool:
        """Healthy means the instance is connected and serving reads."""
        return self.state in (PluginState.CONNECTED, PluginState.RUNNING)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form including ``is_healthy``."""
        data = asdict(self)
        data["state"] = str(self.state)
        data["is_healthy"] = self.is_healthy
        return data


@dataclass
class _Tracked:
    plugin: DevicePlugin
    attempts: int = 0
    next_attempt: float = 0.0
    gave_up: bool = False


class HealthMonitor:
    """Watches tracked instances and reconnects those in ``error`` state.

    Each instance follows its own :class:`RetryPolicy`: the n-th retry waits ``base_delay * factor**(n-1)``
    (capped at ``max_delay``); after ``max_attempts`` failures the monitor gives up until the instance is
    tracked again.
    """

    def __init__(self, check_interval: float = 5.0) -> None:
        self.check_interval = check_interval
        self._tracked: dict[str, _Tracked] = {}
        self._stopping = asyncio.Event()

    def track(self, instance_id: str, plugin: DevicePlugin) -> None:
        """Start watching ``plugin`` under ``instance_id`` (replaces any previous entry)."""
        self._tracked[instance_id] = _Tracked(plugin)

    def untrack(self, instance_id: str) -> None:
        """Stop watching ``instance_id``; unknown ids are ignored."""
        self._tracked.pop(instance_id, None)

    def tracked_ids(self) -> set[str]:
        """Ids of the instances being watched."""
        return set(self._tracked)

    def get_all_reports(self) -> dict[str, HealthReport]:
        """Current health of every tracked instance."""
        return {iid: entry.plugin.health_check() for iid, entry in self._tracked.items()}

    async def check_once(self, now: float | None = None) -> None:
        """Retry every instance in ``error`` whose back-off has elapsed."""
        now = time.monotonic() if now is None else now
        for instance_id, entry in list(self._tracked.items()):
            plugin = entry.plugin
            if plugin.state is not PluginState.ERROR:
                entry.attempts = 0
                entry.gave_up = False
                continue
            if entry.gave_up or now < entry.next_attempt:
                continue
            policy = plugin.config.retry_policy
            entry.attempts += 1
            plugin._reconnect_attempts = entry.attempts
            try:
                await plugin.connect()
            except Exception as exc:
                if policy.exhausted(entry.attempts):
                    entry.gave_up = True
                    log.error("%s: gave up after %d reconnects: %s", instance_id, entry.attempts, exc)
                else:
                    delay = policy.delay(entry.attempts)
                    entry.next_attempt = now + delay
                    log.warning("%s: reconnect attempt %d failed, next in %.1fs: %s",
                                instance_id, entry.attempts, delay, exc)
            else:
                log.info("%s: reconnected after %d attempt(s)", instance_id, entry.attempts)
                entry.attempts = 0

    async def run(self) -> None:
        """Check every ``check_interval`` seconds until :meth:`stop` is called."""
        self._stopping.clear()
        while not self._stopping.is_set():
            await self.check_once()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.check_interval)

    def stop(self) -> None:
        """Make :meth:`run` return after its current check."""
        self._stopping.set()
