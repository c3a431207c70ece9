"""Actuator path: copy the server's latest values to output channels, only when they changed, and report
back what the driver applied.

The value a driver applies can differ from the one asked for: it clamps to the channel's range, and
it may refuse a write. The applied value goes back to the server as the channel's newest reading, so
``/datapoints/latest`` shows what the output really is; a refused write is logged on the server (and
the last applied value reported again).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from webmacs_sdk.device import PluginState

from .api import ApiClient
from .bridge import PluginBridge

log = logging.getLogger("webmacs.controller.actuators")


class ActuatorSync:
    """Writes ``GET /datapoints/latest`` values to mapped writable channels (clamped by the driver)."""

    def __init__(
        self, api: ApiClient, bridge: PluginBridge, report: Callable[[str, float], None] | None = None
    ) -> None:
        self._api = api
        self._bridge = bridge
        self._report = report
        #: Per output: the value last asked for, and the value the driver applied for it.
        self._written: dict[tuple[str, str], float] = {}
        self._applied: dict[tuple[str, str], float] = {}
        #: The driver instance each output was written through: a replacement (new version, new
        #: configuration) left the output at its safe value, so it is written again.
        self._through: dict[tuple[str, str], object] = {}
        self._refused: set[tuple[tuple[str, str], float]] = set()
        self.writes = 0
        self.refusals = 0

    def forget(self) -> None:
        """Forget what was written (after safe values replaced it), so the next tick writes again."""
        self._written.clear()
        self._applied.clear()
        self._through.clear()

    async def tick(self) -> None:
        """One poll of the latest values."""
        targets = self._bridge.event_to_channel
        if not targets:
            return
        for dp in await self._api.latest_datapoints():
            target = targets.get(str(dp.get("event_public_id")))
            if target is None:
                continue
            inst = self._bridge.instances.get(target[0])
            if inst is None or inst.plugin.state is not PluginState.CONNECTED:
                continue
            channel = inst.plugin.get_channel(target[1])
            if not channel.is_writable:
                continue
            try:
                value = float(dp["value"])
            except (KeyError, TypeError, ValueError):
                continue
            if self._through.get(target) is not inst.plugin:
                self._written.pop(target, None)
                self._applied.pop(target, None)
            # The applied value comes back as the latest one: that is no new request either.
            if value in (self._written.get(target), self._applied.get(target)):
                continue
            event = str(dp.get("event_public_id"))
            try:
                applied = float(await inst.plugin.write(target[1], value))
            except Exception as exc:  # a driver failure must not stop the other outputs
                self._through[target] = inst.plugin
                await self._refused_write(target, event, value, inst.plugin.instance_name, exc)
                continue
            self._written[target] = value
            self._applied[target] = applied
            self._through[target] = inst.plugin
            self.writes += 1
            if self._report is not None:
                self._report(event, applied)
            if applied != value:
                log.info("Output %s/%s: asked %s, applied %s", inst.plugin.instance_name, target[1], value, applied)
            else:
                log.info("Output %s/%s set to %s", inst.plugin.instance_name, target[1], applied)

    async def _refused_write(
        self, target: tuple[str, str], event: str, value: float, instance: str, exc: Exception
    ) -> None:
        self._written[target] = value
        self.refusals += 1
        previous = self._applied.get(target)
        if previous is not None and self._report is not None:
            self._report(event, previous)  # the output still holds this
        if (target, value) in self._refused:
            return
        self._refused.add((target, value))
        message = f"Output {instance}/{target[1]} refused the value {value:g}: {exc}"
        log.warning("%s", message)
        await self._api.post_log(message, "warning")
