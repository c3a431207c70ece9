"""The driver catalogue: every DevicePlugin the server knows, with config schema and channels.

Drivers come from two places: the ``webmacs_register_drivers`` hook (bundled driver wheels, loaded
when the app was built, trusted like the server itself) and packages uploaded into the plugin
directory, whose code the server never imports: :mod:`.sandbox` describes them in a separate,
limited process the first time the catalogue is asked, and the description is kept until the
package is removed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

import attrs
from aiohttp import web

from webmacs_pluginmgr import plugindir, sandbox
from webmacs_pluginmgr.plugindir import PluginPaths
from webmacs_sdk.device import ChannelDescriptor, DevicePlugin
from webmacs_sdk.keys import HOST

log = logging.getLogger(__name__)


@attrs.frozen
class UploadedDriver:
    """A driver of an uploaded package, as its sandboxed probe described it."""

    package: str
    description: dict[str, Any]


class DriverCatalogue:
    """Descriptions of uploaded drivers (by package) and the channel previews of bundled ones."""

    def __init__(self) -> None:
        self._described: dict[str, list[dict[str, Any]]] = {}
        self._describing = asyncio.Lock()
        self._previews: dict[type[DevicePlugin], list[dict[str, Any]]] = {}

    async def uploaded(self, paths: PluginPaths, limits: sandbox.ProbeLimits) -> dict[str, UploadedDriver]:
        """Drivers of every package installed in the plugin directory, keyed by driver id.

        A package whose probe fails contributes nothing (logged) until it is removed.
        """
        async with self._describing:
            for dist in await asyncio.to_thread(plugindir.installed, paths):
                name = dist.metadata["Name"] or "?"
                if name in self._described:
                    continue
                try:
                    self._described[name] = await sandbox.describe_package(paths, name, limits)
                except sandbox.DriverProbeFailed as exc:
                    log.warning("uploaded plugin package %s could not be described: %s", name, exc)
                    self._described[name] = []
            found: dict[str, UploadedDriver] = {}
            for package, drivers in self._described.items():
                for description in drivers:
                    found[description["id"]] = UploadedDriver(package, description)
            return found

    def remove_package(self, package: str) -> None:
        """Forget what was learnt of ``package`` (it was uninstalled)."""
        self._described.pop(package, None)

    def drivers(self, app: web.Application) -> dict[str, type[DevicePlugin]]:
        """Bundled drivers (``webmacs_register_drivers``) by id."""
        found: dict[str, type[DevicePlugin]] = {}
        # The hook is sync and answers with classes only: asked on each listing, it stays cheap.
        registered = app[HOST].hook().webmacs_register_drivers()
        for cls in (cls for classes in registered if classes is not None for cls in classes):
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


#: The fields of PluginMetaResponse (contract §2.5), in its order.
META_FIELDS = ("id", "name", "version", "vendor", "description", "url")


def meta_response(cls: type[DevicePlugin]) -> dict[str, Any]:
    """PluginMetaResponse of a driver class plus the additive ``config_schema`` (None when the
    driver cannot make one): what the catalogue and the sandboxed probe of uploads both list."""
    meta = cls.meta
    entry: dict[str, Any] = {field: getattr(meta, field) for field in META_FIELDS}
    entry["url"] = meta.url or None
    try:
        entry["config_schema"] = cls.config_schema.model_json_schema()
    except Exception:
        log.exception("driver %r: config schema unavailable", meta.id)
        entry["config_schema"] = None
    return entry


def describe(catalogue: DriverCatalogue, cls: type[DevicePlugin]) -> dict[str, Any]:
    """:func:`meta_response` plus the additive ``channels``.

    The schema lets a UI render a config form (contract §8.1 item 3); a driver whose preview
    fails is still listed, with ``channels: null``.
    """
    entry = meta_response(cls)
    try:
        entry["channels"] = catalogue.preview(cls)
    except Exception:
        log.exception("driver %r: channel preview failed", cls.meta.id)
        entry["channels"] = None
    return entry


def describe_uploaded(driver: UploadedDriver) -> dict[str, Any]:
    """The same shape as :func:`describe`, from a sandboxed probe's description."""
    entry = {key: driver.description.get(key) for key in META_FIELDS}
    entry["config_schema"] = driver.description.get("config_schema")
    channels = driver.description.get("channels")
    try:
        entry["channels"] = (
            None if channels is None else [channel_summary(ChannelDescriptor.model_validate(c)) for c in channels]
        )
    except ValueError:
        entry["channels"] = None
    return entry


async def available(
    app: web.Application, paths: PluginPaths, limits: sandbox.ProbeLimits
) -> list[dict[str, Any]]:
    """The whole catalogue, sorted by id (a bundled driver wins over an uploaded one of the same id);
    any failure gives ``[]`` (contract), logged."""
    try:
        catalogue = catalogue_for(app)
        entries = {
            driver_id: describe_uploaded(driver)
            for driver_id, driver in (await catalogue.uploaded(paths, limits)).items()
        }
        for driver_id, cls in catalogue.drivers(app).items():
            entries[driver_id] = describe(catalogue, cls)
        return [entries[driver_id] for driver_id in sorted(entries)]
    except Exception:
        log.exception("plugin catalogue failed")
        return []


def instance_config(config: Mapping[str, Any], instance_name: str, demo_mode: bool) -> dict[str, Any]:
    """What ``configure()`` receives: the parsed ``config_json``, with the instance's own name and
    demo flag taking precedence (contract §5.5, BEAT: the string is parsed, not dropped)."""
    # The SDK caps instance names at 100 characters; the contract allows 255 for the instance.
    return {**config, "instance_name": instance_name[:100], "demo_mode": demo_mode}
