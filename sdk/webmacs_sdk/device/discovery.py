"""Find installed device drivers through the ``webmacs.plugins`` entry-point group."""

from __future__ import annotations

import importlib.metadata
import inspect
import logging
import types
from collections.abc import Iterable
from dataclasses import dataclass, field

import pluggy

from webmacs_sdk.markers import ENTRY_POINT_GROUP, PROJECT_NAME

from . import hookspec
from .base import DevicePlugin
from .meta import PluginMeta

log = logging.getLogger("webmacs.device.discovery")


@dataclass
class DiscoveryReport:
    """What discovery found: drivers keyed by ``meta.id`` and the entry points that failed, with why."""

    drivers: dict[str, type[DevicePlugin]] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)


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


def scan_drivers(
    group: str = ENTRY_POINT_GROUP, entry_points: Iterable[importlib.metadata.EntryPoint] | None = None
) -> DiscoveryReport:
    """Load every entry point of ``group`` and collect driver classes; broken ones are logged and reported."""
    report = DiscoveryReport()
    eps = importlib.metadata.entry_points(group=group) if entry_points is None else entry_points
    for ep in eps:
        try:
            drivers = drivers_from_object(ep.load(), ep.name)
        except Exception as exc:
            report.failures[ep.name] = f"{type(exc).__name__}: {exc}"
            log.error("Device plugin entry point %r (%s) failed: %s", ep.name, ep.value, exc)
            continue
        for cls in drivers:
            known = report.drivers.get(cls.meta.id)
            if known is not None and known is not cls:
                report.failures[ep.name] = f"driver id {cls.meta.id!r} already taken by {known.__qualname__}"
                log.error("Device plugin entry point %r: duplicate driver id %r", ep.name, cls.meta.id)
                continue
            report.drivers[cls.meta.id] = cls
    log.info("Discovered device drivers: %s", ", ".join(sorted(report.drivers)) or "none")
    return report


def discover_plugins(group: str = ENTRY_POINT_GROUP) -> dict[str, type[DevicePlugin]]:
    """Installed driver classes keyed by ``meta.id`` (use :func:`scan_drivers` to see failures too)."""
    return scan_drivers(group).drivers
