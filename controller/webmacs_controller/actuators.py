"""Actuator path: copy the server's latest values to output channels, only when they changed."""

from __future__ import annotations

import logging

from webmacs_sdk.device import PluginState

from .api import ApiClient
from .bridge import PluginBridge

log = logging.getLogger("webmacs.controller.actuators")


class ActuatorSync:
    """Writes ``GET /datapoints/latest`` values to mapped writable channels (clamped by the driver)."""

    def __init__(self, api: ApiClient, bridge: PluginBridge) -> None:
        self._api = api
        self._bridge = bridge
        self._written: dict[tuple[str, str], float] = {}
        self.writes = 0

    def forget(self) -> None:
        """Forget what was written (after safe values replaced it), so the next tick writes again."""
        self._written.clear()

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
            if self._written.get(target) == value:
                continue
            try:
                applied = await inst.plugin.write(target[1], value)
            except Exception as exc:  # a driver failure must not stop the other outputs
                log.warning("Writing %s/%s failed: %s", inst.plugin.instance_name, target[1], exc)
                continue
            self._written[target] = value
            self.writes += 1
            log.info("Output %s/%s set to %s", inst.plugin.instance_name, target[1], applied)
