"""The drivers this controller can run, imported only when an instance needs one.

Discovery reads entry-point metadata alone (:func:`webmacs_sdk.discovery.find_plugins`); a driver's
module, and the libraries it brings, are imported the first time an enabled instance names it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
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

    def forget(self, driver_id: str) -> None:
        """Drop a loaded driver class (its package was replaced or removed)."""
        self._loaded.pop(driver_id, None)

    def get(self, driver_id: str) -> type[DevicePlugin] | None:
        """The driver class with ``meta.id == driver_id``, importing what is needed to find it."""
        if driver_id in self._loaded:
            return self._loaded[driver_id]
        if driver_id in self._pending:
            self._load(self._pending.pop(driver_id))
        if driver_id not in self._loaded:
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
            self._loaded.setdefault(driver_id, cls)
            log.info("Driver %r loaded from %s %s", driver_id, entry.distribution, entry.version)
