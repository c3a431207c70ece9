"""The drivers this controller can run, imported only when an instance needs one.

Discovery reads entry-point metadata alone (:func:`webmacs_sdk.discovery.find_plugins`); a driver's
module, and the libraries it brings, are imported the first time an enabled instance names it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from webmacs_sdk.discovery import PluginEntry, find_plugins

if TYPE_CHECKING:
    from webmacs_sdk.device import DevicePlugin

log = logging.getLogger("webmacs.controller.drivers")


class DriverCatalogue:
    """Driver classes by ``meta.id``: given ones, and installed ones loaded on first use.

    An entry point is named after the driver's ``meta.id`` by convention, so a driver is found by
    importing one entry; when no entry has that name, every entry not yet imported is tried.
    """

    def __init__(
        self,
        drivers: Mapping[str, type[DevicePlugin]] | None = None,
        entries: Iterable[PluginEntry] | None = None,
    ) -> None:
        self._loaded: dict[str, type[DevicePlugin]] = dict(drivers or {})
        self._pending: dict[str, PluginEntry] = {}
        #: Where each loaded driver's package is installed (``None``: given, or installed in the environment).
        self._locations: dict[str, Path | None] = {}
        #: Why an entry gave no driver, by entry name.
        self.failures: dict[str, str] = {}
        self.add_entries(find_plugins("driver") if entries is None and drivers is None else entries or ())

    def add_entries(self, entries: Iterable[PluginEntry]) -> None:
        """Make more entries available (not imported yet); an entry name already known is replaced."""
        for entry in entries:
            self._pending[entry.name] = entry
            self.failures.pop(entry.name, None)

    @property
    def available(self) -> list[str]:
        """Driver ids loaded, and entry names that may provide one."""
        return sorted({*self._loaded, *self._pending})

    def drop_location(self, location: Path) -> set[str]:
        """Forget every driver and entry installed at ``location`` (a package replaced or removed);
        returns the ids of the drivers that were loaded from there."""
        for name, entry in list(self._pending.items()):
            if entry.location is not None and entry.location.is_relative_to(location):
                del self._pending[name]
        gone = {i for i, where in self._locations.items() if where is not None and where.is_relative_to(location)}
        for driver_id in gone:
            self._loaded.pop(driver_id, None)
            self._locations.pop(driver_id, None)
        return gone

    def location(self, driver_id: str) -> Path | None:
        """Where a loaded driver's package is installed (``None``: the controller's environment)."""
        return self._locations.get(driver_id)

    def get(self, driver_id: str, *, search: bool = True) -> type[DevicePlugin] | None:
        """The driver class with ``meta.id == driver_id``, importing the entry of that name; with
        ``search``, every other entry is imported too when none has that name."""
        if driver_id in self._loaded:
            return self._loaded[driver_id]
        if driver_id in self._pending:
            self._load(self._pending.pop(driver_id))
        if driver_id not in self._loaded and search:
            for name in list(self._pending):
                self._load(self._pending.pop(name))
                if driver_id in self._loaded:
                    break
        return self._loaded.get(driver_id)

    def _load(self, entry: PluginEntry) -> None:
        from webmacs_sdk.device import scan_drivers

        report = scan_drivers([entry])
        self.failures.update(report.failures)
        for driver_id, cls in report.drivers.items():
            if driver_id not in self._loaded:
                self._loaded[driver_id] = cls
                self._locations[driver_id] = entry.location
            log.info("Driver %r loaded from %s %s", driver_id, entry.distribution, entry.version)
