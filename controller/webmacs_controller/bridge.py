"""Plugin bridge: the driver instances the server configured, and the channel <-> event map."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

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


class DriverSource(Protocol):
    """Where drivers the controller does not have come from (the wheelhouse provisioner)."""

    async def prepare(self, records: Iterable[Mapping[str, Any]], in_use: set[str]) -> None: ...

    def provides(self, plugin_id: str) -> bool: ...

    def finish(self, running: Iterable[type[Any]]) -> None: ...

    def describe(self, plugin_id: str) -> tuple[str, str]: ...


class PluginBridge:
    """Creates, reconfigures and removes driver instances to match the server's plugin instances."""

    def __init__(self, api: ApiClient, drivers: DriverCatalogue, source: DriverSource | None = None) -> None:
        self._api = api
        self._drivers = drivers
        self._source = source
        self.instances: dict[str, Instance] = {}
        self._missing_warned: set[tuple[str, str]] = set()
        #: Enabled server records by public id, as of the last sync (they carry the reported ``status``).
        self.records: dict[str, dict[str, Any]] = {}
        #: Why an enabled instance is not running here: ``(status, message)``, status ``installing``
        #: while its driver is fetched, else ``error`` (driver missing, configuration refused).
        self.problems: dict[str, tuple[str, str]] = {}

    @property
    def event_to_channel(self) -> dict[str, tuple[str, str]]:
        """``event_public_id -> (instance public_id, channel_id)``."""
        return {
            event: (inst.public_id, channel)
            for inst in self.instances.values()
            for channel, event in inst.channel_events.items()
        }

    def drivers_in_use(self) -> set[str]:
        return {inst.plugin.meta.id for inst in self.instances.values()}

    async def sync(self) -> None:
        """Bring local instances in line with the server (created, changed, disabled, deleted)."""
        records = [r for r in await self._api.list_plugin_instances() if r.get("enabled", True)]
        self.records = {str(r["public_id"]): r for r in records if r.get("public_id")}
        self.problems = {k: v for k, v in self.problems.items() if k in self.records}
        if self._source is not None:
            await self._source.prepare(records, self.drivers_in_use())
        wanted: dict[str, tuple[dict[str, Any], str]] = {}
        for record in records:
            pid = str(record.get("plugin_id", ""))
            # Installed drivers are searched by importing them only when no uploaded package has it.
            cls = self._drivers.get(pid, search=self._source is None or not self._source.provides(pid))
            if cls is None:
                status, why = (
                    self._source.describe(pid)
                    if self._source is not None
                    else ("error", f"Driver {pid!r} is not installed on the controller")
                )
                self.problems[str(record["public_id"])] = (status, why)
                if (pid, status) not in self._missing_warned:
                    log.warning("Instance %r: %s", record.get("instance_name"), why)
                    self._missing_warned.add((pid, status))
                continue
            # The class's identity is part of it: a new version of the driver replaces the instance.
            fingerprint = json.dumps(
                [pid, id(cls), instance_config(record), record.get("updated_on")], sort_keys=True, default=str
            )
            wanted[str(record["public_id"])] = (record, fingerprint)

        for public_id in list(self.instances):
            if public_id not in wanted:
                await self.remove(public_id)
        for public_id, (record, fingerprint) in wanted.items():
            inst = self.instances.get(public_id)
            if inst is None:
                await self._create(public_id, record, fingerprint)
            elif inst.fingerprint != fingerprint:
                await self._replace(inst, record, fingerprint)
        for inst in self.instances.values():
            await self._refresh_mappings(inst)
        if self._source is not None:
            self._source.finish(type(inst.plugin) for inst in self.instances.values())

    def _configured(self, public_id: str, record: Mapping[str, Any]) -> DevicePlugin | None:
        cls = self._drivers.get(str(record["plugin_id"]), search=False)
        assert cls is not None  # sync() only creates instances whose driver it found
        plugin = cls()
        try:
            plugin.configure(instance_config(record))
        except PluginError as exc:
            log.error("Instance %r not started: %s", record.get("instance_name"), exc)
            self.problems[public_id] = ("error", f"Configuration refused: {exc}")
            return None
        self.problems.pop(public_id, None)
        return plugin

    async def _create(self, public_id: str, record: Mapping[str, Any], fingerprint: str) -> None:
        plugin = self._configured(public_id, record)
        if plugin is None:
            return
        self.instances[public_id] = Instance(public_id, plugin, fingerprint)
        await self._connect(plugin)

    async def _replace(self, inst: Instance, record: Mapping[str, Any], fingerprint: str) -> None:
        """Make before break: the new instance connects first and takes over between two polls, so
        no reading is missed; a device that takes one connection only is released first."""
        plugin = self._configured(inst.public_id, record)
        if plugin is None:
            await self.remove(inst.public_id)
            return
        old = inst.plugin
        try:
            await plugin.connect()
        except PluginError:
            await old.disconnect()
            await self._connect(plugin)
        inst.plugin, inst.fingerprint = plugin, fingerprint
        if old.state is not PluginState.DISCONNECTED:
            await old.disconnect()
        log.info("Instance %r now runs %s %s", plugin.instance_name, plugin.meta.id, plugin.meta.version)

    async def _connect(self, plugin: DevicePlugin) -> None:
        try:
            await plugin.connect()
        except PluginError as exc:
            # Kept registered: the health monitor retries the connection.
            log.error("Instance %r could not connect: %s", plugin.instance_name, exc)
        log.info(
            "Instance %r (%s %s) started: %s, %d channels, poll every %.2fs",
            plugin.instance_name,
            plugin.meta.id,
            plugin.meta.version,
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
