"""The driver catalogue: every DevicePlugin class the server knows, with config schema and channels.

Drivers come from two places: the ``webmacs_register_drivers`` hook (bundled driver wheels, loaded
when the app was built) and wheels uploaded into the plugin directory since (see :mod:`.loader`),
which become available without a restart.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from webmacs_sdk.device import ChannelDescriptor, DevicePlugin
from webmacs_sdk.keys import HOST

log = logging.getLogger(__name__)


class DriverCatalogue:
    """Drivers loaded at run time from the plugin directory, keyed by ``meta.id``, with their package."""

    def __init__(self) -> None:
        self.uploaded: dict[str, tuple[type[DevicePlugin], str]] = {}
        self._previews: dict[type[DevicePlugin], list[dict[str, Any]]] = {}

    def add(self, package: str, drivers: list[type[DevicePlugin]]) -> None:
        for cls in drivers:
            self.uploaded[cls.meta.id] = (cls, package)

    def remove_package(self, package: str) -> list[str]:
        """Forget the drivers of ``package``; returns their ids."""
        gone = [driver_id for driver_id, (_, owner) in self.uploaded.items() if owner == package]
        for driver_id in gone:
            cls, _ = self.uploaded.pop(driver_id)
            self._previews.pop(cls, None)
        return gone

    def drivers(self, app: web.Application) -> dict[str, type[DevicePlugin]]:
        """Every known driver by id; a hook-registered driver wins over an uploaded one of the same id."""
        found: dict[str, type[DevicePlugin]] = {
            driver_id: cls for driver_id, (cls, _) in self.uploaded.items()
        }
        for cls in app[HOST].drivers():
            meta = getattr(cls, "meta", None)
            if meta is not None and str(getattr(meta, "id", None) or ""):
                found[meta.id] = cls
        return found

    def preview(self, cls: type[DevicePlugin]) -> list[dict[str, Any]]:
        """The channels of a default-configured demo instance (cached per class)."""
        if cls not in self._previews:
            plugin = cls()
            plugin.configure({"instance_name": cls.meta.id, "demo_mode": True})
            self._previews[cls] = [channel_summary(c) for c in plugin.channels]
        return self._previews[cls]


CATALOGUE: web.AppKey[DriverCatalogue] = web.AppKey("webmacs_pluginmgr.catalogue", DriverCatalogue)


def catalogue_for(app: web.Application) -> DriverCatalogue:
    return app[HOST].state(CATALOGUE, DriverCatalogue)


def channel_summary(channel: ChannelDescriptor) -> dict[str, Any]:
    return {
        "id": channel.id,
        "name": channel.name,
        "direction": str(channel.direction),
        "unit": channel.unit,
        "min_value": channel.min_value,
        "max_value": channel.max_value,
    }


def describe(catalogue: DriverCatalogue, cls: type[DevicePlugin]) -> dict[str, Any]:
    """PluginMetaResponse (contract §2.5) plus the additive ``config_schema`` and ``channels``.

    The schema lets a UI render a config form (contract §8.1 item 3); a driver whose preview
    fails is still listed, with ``channels: null``.
    """
    meta = cls.meta
    entry: dict[str, Any] = {
        "id": meta.id,
        "name": meta.name,
        "version": meta.version,
        "vendor": meta.vendor,
        "description": meta.description,
        "url": meta.url or None,
    }
    try:
        entry["config_schema"] = cls.config_schema.model_json_schema()
    except Exception:
        log.exception("driver %r: config schema unavailable", meta.id)
        entry["config_schema"] = None
    try:
        entry["channels"] = catalogue.preview(cls)
    except Exception:
        log.exception("driver %r: channel preview failed", meta.id)
        entry["channels"] = None
    return entry


def available(app: web.Application) -> list[dict[str, Any]]:
    """The whole catalogue, sorted by id; any failure gives ``[]`` (contract), logged."""
    try:
        catalogue = catalogue_for(app)
        drivers = catalogue.drivers(app)
        return [describe(catalogue, drivers[driver_id]) for driver_id in sorted(drivers)]
    except Exception:
        log.exception("plugin catalogue failed")
        return []


def instance_config(config: Mapping[str, Any], instance_name: str, demo_mode: bool) -> dict[str, Any]:
    """What ``configure()`` receives: the parsed ``config_json``, with the instance's own name and
    demo flag taking precedence (contract §5.5, BEAT: the string is parsed, not dropped)."""
    # The SDK caps instance names at 100 characters; the contract allows 255 for the instance.
    return {**config, "instance_name": instance_name[:100], "demo_mode": demo_mode}
