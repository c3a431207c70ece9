"""Plugin bridge: the driver instances the server configured, and the channel <-> event map."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from webmacs_sdk.device import PluginError, PluginState

from .api import ApiClient, ApiError
from .drivers import DriverCatalogue

if TYPE_CHECKING:
    from webmacs_sdk.device import DevicePlugin

log = logging.getLogger("webmacs.controller.bridge")


def instance_config(record: Mapping[str, Any]) -> dict[str, Any]:
    """Driver configuration of a server plugin-instance record; ``config_json`` is a JSON string."""
    config: dict[str, Any] = {}
    raw = record.get("config_json")
    if isinstance(raw, str) and raw.strip():
        try:
            parsed = json.loads(raw)
        except json.JSONDecodeError:
            log.warning("Instance %s: config_json is not valid JSON", record.get("instance_name"))
        else:
            if isinstance(parsed, dict):
                config.update(parsed)
    elif isinstance(raw, dict):
        config.update(raw)
    config["instance_name"] = record.get("instance_name", "")
    demo = record.get("demo_mode")
    config["demo_mode"] = True if demo is None else bool(demo)
    return config


@dataclass
class Instance:
    """A running driver instance and what it was created from."""

    public_id: str
    plugin: DevicePlugin
    fingerprint: str
    channel_events: dict[str, str] = field(default_factory=dict)


class PluginBridge:
    """Creates, reconfigures and removes driver instances to match the server's plugin instances."""

    def __init__(self, api: ApiClient, drivers: DriverCatalogue) -> None:
        self._api = api
        self._drivers = drivers
        self.instances: dict[str, Instance] = {}
        self._missing_warned: set[str] = set()
        #: Enabled server records by public id, as of the last sync (they carry the reported ``status``).
        self.records: dict[str, dict[str, Any]] = {}
        #: Why an enabled instance is not running here (driver missing, configuration refused).
        self.problems: dict[str, str] = {}

    @property
    def event_to_channel(self) -> dict[str, tuple[str, str]]:
        """``event_public_id -> (instance public_id, channel_id)``."""
        return {
            event: (inst.public_id, channel)
            for inst in self.instances.values()
            for channel, event in inst.channel_events.items()
        }

    async def sync(self) -> None:
        """Bring local instances in line with the server (created, changed, disabled, deleted)."""
        records = [r for r in await self._api.list_plugin_instances() if r.get("enabled", True)]
        wanted: dict[str, tuple[dict[str, Any], str]] = {}
        self.records = {str(r["public_id"]): r for r in records if r.get("public_id")}
        self.problems = {k: v for k, v in self.problems.items() if k in self.records}
        for record in records:
            pid = str(record.get("plugin_id", ""))
            if self._drivers.get(pid) is None:
                self.problems[str(record["public_id"])] = f"Driver {pid!r} is not installed on the controller"
                if pid not in self._missing_warned:
                    log.warning("Driver %r of instance %r is not installed", pid, record.get("instance_name"))
                    self._missing_warned.add(pid)
                continue
            fingerprint = json.dumps(
                [pid, instance_config(record), record.get("updated_on")], sort_keys=True, default=str
            )
            wanted[str(record["public_id"])] = (record, fingerprint)

        for public_id in list(self.instances):
            if public_id not in wanted or wanted[public_id][1] != self.instances[public_id].fingerprint:
                await self.remove(public_id)
        for public_id, (record, fingerprint) in wanted.items():
            if public_id not in self.instances:
                await self._create(public_id, record, fingerprint)
        for inst in self.instances.values():
            await self._refresh_mappings(inst)

    async def _create(self, public_id: str, record: Mapping[str, Any], fingerprint: str) -> None:
        cls = self._drivers.get(str(record["plugin_id"]))
        assert cls is not None  # sync() only creates instances whose driver it found
        plugin = cls()
        try:
            plugin.configure(instance_config(record))
        except PluginError as exc:
            log.error("Instance %r not started: %s", record.get("instance_name"), exc)
            self.problems[public_id] = f"Configuration refused: {exc}"
            return
        self.problems.pop(public_id, None)
        inst = Instance(public_id, plugin, fingerprint)
        self.instances[public_id] = inst
        try:
            await plugin.connect()
        except PluginError as exc:
            # Kept registered: the health monitor retries the connection.
            log.error("Instance %r could not connect: %s", plugin.instance_name, exc)
        log.info(
            "Instance %r (%s) started: %s, %d channels, poll every %.2fs",
            plugin.instance_name,
            cls.meta.id,
            plugin.state,
            len(plugin.channels),
            plugin.poll_interval,
        )

    async def _refresh_mappings(self, inst: Instance) -> None:
        try:
            mappings = await self._api.channel_mappings(inst.public_id)
        except ApiError as exc:
            log.warning("Channel mappings of %s not refreshed: %s", inst.public_id, exc)
            return
        known = {c.id for c in inst.plugin.channels}
        inst.channel_events = {
            str(m["channel_id"]): str(m["event_public_id"])
            for m in mappings
            if m.get("event_public_id") and m.get("channel_id") in known
        }

    async def remove(self, public_id: str) -> None:
        """Disconnect (safe values applied) and forget an instance."""
        inst = self.instances.pop(public_id, None)
        if inst is not None:
            await inst.plugin.disconnect()
            log.info("Instance %r stopped", inst.plugin.instance_name)

    async def shutdown(self) -> None:
        """Disconnect every instance, applying safe values."""
        for public_id in list(self.instances):
            await self.remove(public_id)

    async def apply_safe_state(self) -> int:
        """Write safe values on every connected instance; returns how many outputs were set."""
        applied = 0
        for inst in self.instances.values():
            if inst.plugin.state is PluginState.CONNECTED:
                applied += len(await inst.plugin.apply_safe_state())
        return applied
