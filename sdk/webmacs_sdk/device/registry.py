"""Registry of driver classes and their running instances."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Mapping
from typing import Any

from .base import DevicePlugin
from .discovery import scan_drivers
from .errors import PluginConfigError, PluginError, PluginLoadError
from .health import HealthMonitor, HealthReport
from .meta import PluginMeta
from .types import ChannelValue

log = logging.getLogger("webmacs.device.registry")


class PluginRegistry:
    """Holds available driver classes and the instances created from them, keyed by instance id."""

    def __init__(self, health_check_interval: float = 5.0) -> None:
        self._classes: dict[str, type[DevicePlugin]] = {}
        self._instances: dict[str, DevicePlugin] = {}
        self._counter = itertools.count(1)
        self.health_monitor = HealthMonitor(check_interval=health_check_interval)
        self.discovery_failures: dict[str, str] = {}

    # ------------------------------------------------------------------ classes

    def discover(self) -> dict[str, type[DevicePlugin]]:
        """Register every driver installed through entry points; returns the newly found ones."""
        report = scan_drivers()
        self.discovery_failures = dict(report.failures)
        for cls in report.drivers.values():
            self.register_plugin_class(cls)
        return report.drivers

    def register_plugin_class(self, cls: type[DevicePlugin]) -> None:
        """Make ``cls`` available under ``cls.meta.id``."""
        self._classes[cls.meta.id] = cls

    def get_available_plugins(self) -> list[PluginMeta]:
        """Metadata of every registered driver."""
        return [cls.meta for cls in self._classes.values()]

    def get_plugin_class(self, plugin_id: str) -> type[DevicePlugin]:
        """The class registered as ``plugin_id``; raises :class:`PluginLoadError` when unknown."""
        try:
            return self._classes[plugin_id]
        except KeyError:
            raise PluginLoadError(plugin_id, "Plugin not installed") from None

    # ------------------------------------------------------------------ instances

    def create_instance(
        self, plugin_id: str, config: Mapping[str, Any], instance_id: str = ""
    ) -> DevicePlugin:
        """Create and configure an instance; the id defaults to ``<plugin_id>-<n>``."""
        cls = self.get_plugin_class(plugin_id)
        plugin = cls()
        try:
            plugin.configure(config)
        except PluginError:
            raise
        except Exception as exc:
            raise PluginConfigError(plugin_id, f"Configuration failed: {exc}") from exc
        instance_id = instance_id or f"{plugin_id}-{next(self._counter)}"
        self._instances[instance_id] = plugin
        self.health_monitor.track(instance_id, plugin)
        return plugin

    def get_instance(self, instance_id: str) -> DevicePlugin | None:
        """The instance with ``instance_id`` or ``None``."""
        return self._instances.get(instance_id)

    def list_instances(self) -> dict[str, DevicePlugin]:
        """All instances by id (a copy)."""
        return dict(self._instances)

    async def remove_instance(self, instance_id: str) -> None:
        """Disconnect (applying safe values) and forget an instance."""
        plugin = self._instances.pop(instance_id, None)
        self.health_monitor.untrack(instance_id)
        if plugin is not None:
            await plugin.disconnect()

    def _require(self, instance_id: str) -> DevicePlugin:
        plugin = self._instances.get(instance_id)
        if plugin is None:
            raise PluginLoadError(instance_id, "No such plugin instance")
        return plugin

    async def connect_instance(self, instance_id: str) -> None:
        """Connect one instance."""
        await self._require(instance_id).connect()

    async def disconnect_instance(self, instance_id: str) -> None:
        """Disconnect one instance (safe values applied)."""
        await self._require(instance_id).disconnect()

    async def connect_all(self) -> dict[str, str]:
        """Connect every instance; returns the error message of each one that failed."""
        failed: dict[str, str] = {}
        for iid, plugin in self._instances.items():
            try:
                await plugin.connect()
            except PluginError as exc:
                failed[iid] = str(exc)
                log.error("Connecting %s failed: %s", iid, exc)
        return failed

    async def disconnect_all(self) -> None:
        """Disconnect every instance; never raises."""
        for plugin in self._instances.values():
            await plugin.disconnect()

    async def read(self, instance_id: str, channel_id: str) -> ChannelValue | None:
        """Read one channel of one instance."""
        return await self._require(instance_id).read(channel_id)

    async def write(self, instance_id: str, channel_id: str, value: ChannelValue) -> float:
        """Write one channel of one instance (clamped)."""
        return await self._require(instance_id).write(channel_id, value)

    async def read_all_inputs(self) -> list[dict[str, Any]]:
        """Readings of every connected instance as ``{instance_id, channel_id, value}``; ``None`` omitted."""
        out: list[dict[str, Any]] = []
        for iid, plugin in self._instances.items():
            try:
                values = await plugin.read_all_inputs()
            except PluginError as exc:
                log.warning("Reading %s failed: %s", iid, exc)
                continue
            out.extend(
                {"instance_id": iid, "channel_id": cid, "value": v}
                for cid, v in values.items()
                if v is not None
            )
        return out

    def get_channels(self, instance_id: str) -> list[Any]:
        """Channel descriptors of one instance."""
        return self._require(instance_id).channels

    def get_all_channels(self) -> dict[str, list[Any]]:
        """Channel descriptors of every instance by instance id."""
        return {iid: p.channels for iid, p in self._instances.items()}

    def get_health_reports(self) -> dict[str, HealthReport]:
        """Health of every instance by instance id."""
        return {iid: p.health_check() for iid, p in self._instances.items()}
