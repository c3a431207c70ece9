"""The one place WebMACS finds installed plugins: entry-point metadata only, nothing is imported.

Every plugin, server feature or device driver, registers in the ``webmacs.plugins`` entry-point group;
that is what a server loads and what an uploaded wheel must declare. A driver is recognised without
importing it, so an edge controller never pays for the server's feature plugins:

* its distribution also lists it in ``webmacs.drivers`` (same name), as the SDK's drivers do; or
* its ``webmacs.plugins`` value names an object (``module:DriverClass``), as WebMACS device wheels do.
  Feature plugins point at a module of hook implementations.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

#: The entry-point group every WebMACS plugin (server feature or device driver) registers in.
ENTRY_POINT_GROUP = "webmacs.plugins"
#: Where a distribution declares which of its plugins are device drivers.
DRIVER_GROUP = "webmacs.drivers"

PluginKind = Literal["feature", "driver"]


@dataclass(frozen=True)
class PluginEntry:
    """One discovered plugin: its entry point and where it comes from, read from metadata alone."""

    name: str
    kind: PluginKind
    entry_point: importlib.metadata.EntryPoint
    distribution: str | None
    version: str | None
    location: Path | None

    @property
    def value(self) -> str:
        """The ``module[:attribute]`` the entry point names."""
        return self.entry_point.value

    def load(self) -> object:
        """Import the plugin (a module of hook implementations, or a driver class)."""
        return self.entry_point.load()


def find_plugins(
    kind: PluginKind | None = None,
    *,
    path: Sequence[str | Path] | None = None,
    distributions: Iterable[importlib.metadata.Distribution] | None = None,
) -> list[PluginEntry]:
    """Installed plugins, first occurrence of each name winning (``sys.path`` order).

    :param kind: ``"driver"`` or ``"feature"`` to keep only that kind; ``None`` for every plugin.
    :param path: look only in these directories (a plugin directory) instead of ``sys.path``.
    :param distributions: look only in these distributions.
    """
    if distributions is None:
        if path is None:
            distributions = importlib.metadata.distributions()
        else:
            distributions = importlib.metadata.distributions(path=[str(p) for p in path])
    found: dict[str, PluginEntry] = {}
    for dist in distributions:
        for entry in _entries(dist):
            if entry.name not in found:
                found[entry.name] = entry
    return [entry for entry in found.values() if kind is None or entry.kind == kind]


def _entries(dist: importlib.metadata.Distribution) -> Iterator[PluginEntry]:
    eps = dist.entry_points
    plugins = {ep.name: ep for ep in eps.select(group=ENTRY_POINT_GROUP)}
    drivers = {ep.name: ep for ep in eps.select(group=DRIVER_GROUP)}
    if not plugins and not drivers:
        return
    name = dist.metadata["Name"]
    location = _location(dist)
    for ep_name, ep in plugins.items():
        if ep_name in drivers:
            yield PluginEntry(ep_name, "driver", drivers[ep_name], name, dist.version, location)
        else:
            kind: PluginKind = "driver" if ep.attr else "feature"
            yield PluginEntry(ep_name, kind, ep, name, dist.version, location)
    for ep_name, ep in drivers.items():
        if ep_name not in plugins:
            yield PluginEntry(ep_name, "driver", ep, name, dist.version, location)


def _location(dist: importlib.metadata.Distribution) -> Path | None:
    try:
        return Path(str(dist.locate_file(""))).resolve()
    except (OSError, NotImplementedError):
        return None
