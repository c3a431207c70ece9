"""Load device drivers from the plugins :func:`webmacs_sdk.discovery.find_plugins` found.

Only entries of kind ``driver`` are imported by default, so a controller never imports the server's
feature plugins (and the libraries they need).
"""

from __future__ import annotations

import inspect
import logging
import types
from collections.abc import Iterable
from dataclasses import dataclass, field

import pluggy

from webmacs_sdk.discovery import PluginEntry, find_plugins
from webmacs_sdk.markers import PROJECT_NAME

from . import hookspec
from .base import DevicePlugin
from .meta import PluginMeta

log = logging.getLogger("webmacs.device.discovery")


@dataclass
class DiscoveryReport:
    """What discovery found: drivers keyed by ``meta.id`` and the entries that failed, with why."""

    drivers: dict[str, type[DevicePlugin]] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    #: Which plugin entry (by name) each driver id came from.
    sources: dict[str, PluginEntry] = field(default_factory=dict)


def _check_driver(obj: object) -> type[DevicePlugin]:
    if not (inspect.isclass(obj) and issubclass(obj, DevicePlugin)):
        raise TypeError(f"{obj!r} is not a DevicePlugin subclass")
    meta = getattr(obj, "meta", None)
    if not isinstance(meta, PluginMeta) or not meta.id or not meta.version:
        raise TypeError(f"{obj.__name__} has no PluginMeta with a non-empty id and version")
    if inspect.isabstract(obj):
        raise TypeError(f"{obj.__name__} is abstract")
    return obj


def drivers_from_module(module: types.ModuleType, name: str | None = None) -> list[type[DevicePlugin]]:
    """Call ``webmacs_register_drivers`` of ``module`` through pluggy; modules without it give ``[]``."""
    pm = pluggy.PluginManager(PROJECT_NAME)
    pm.add_hookspecs(hookspec)
    pm.register(module, name=name or module.__name__)
    found: list[type[DevicePlugin]] = []
    for result in pm.hook.webmacs_register_drivers():
        found.extend(_check_driver(cls) for cls in result or ())
    return found


def drivers_from_object(obj: object, name: str) -> list[type[DevicePlugin]]:
    """Drivers from what an entry point loaded: a hook module or a DevicePlugin class (upstream style)."""
    if isinstance(obj, types.ModuleType):
        return drivers_from_module(obj, name)
    return [_check_driver(obj)]


def scan_drivers(entries: Iterable[PluginEntry] | None = None) -> DiscoveryReport:
    """Import ``entries`` (by default every installed plugin of kind ``driver``) and collect their
    driver classes; an entry that fails to import or gives no valid driver is logged and reported."""
    report = DiscoveryReport()
    for entry in find_plugins("driver") if entries is None else entries:
        try:
            drivers = drivers_from_object(entry.load(), entry.name)
        except Exception as exc:
            report.failures[entry.name] = f"{type(exc).__name__}: {exc}"
            log.error("Device plugin %r (%s) failed: %s", entry.name, entry.value, exc)
            continue
        for cls in drivers:
            known = report.drivers.get(cls.meta.id)
            if known is not None and known is not cls:
                report.failures[entry.name] = f"driver id {cls.meta.id!r} already taken by {known.__qualname__}"
                log.error("Device plugin %r: duplicate driver id %r", entry.name, cls.meta.id)
                continue
            report.drivers[cls.meta.id] = cls
            report.sources[cls.meta.id] = entry
    log.info("Discovered device drivers: %s", ", ".join(sorted(report.drivers)) or "none")
    return report


def discover_plugins() -> dict[str, type[DevicePlugin]]:
    """Installed driver classes keyed by ``meta.id`` (use :func:`scan_drivers` to see failures too)."""
    return scan_drivers().drivers
