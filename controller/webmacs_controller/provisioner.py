"""Fetches the drivers enabled instances need from the server's wheelhouse, and lets go of removed ones.

On every sync: an enabled instance whose driver the controller does not have, and that an uploaded
package provides, starts a download (status ``installing``); a package the server now lists under
another version or hash is installed beside the running one and switched to; a package the server
no longer lists is unloaded once no instance uses its drivers. Drivers installed in the controller's
own environment are never replaced from the wheelhouse.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from .api import ApiClient, ApiError
from .drivers import DriverCatalogue
from .plugindir import Installed, InstallFailed, PluginDirectory, Wheel, activate, deactivate

log = logging.getLogger("webmacs.controller.provisioner")

WHEELHOUSE = "/plugins/wheelhouse"


class DriverProvisioner:
    """Keeps the plugin directory in line with what enabled instances need and the wheelhouse offers."""

    def __init__(
        self,
        api: ApiClient,
        directory: PluginDirectory,
        catalogue: DriverCatalogue,
        on_change: Callable[[], None],
    ) -> None:
        self._api = api
        self._dir = directory
        self._catalogue = catalogue
        self._on_change = on_change
        #: Loaded packages by canonical name.
        self.active: dict[str, Installed] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        #: Why a package could not be installed, by canonical name (kept until the listing changes).
        self.failures: dict[Wheel, str] = {}
        #: Packages replaced or removed; their files go once no running instance comes from them.
        self._retired: list[Installed] = []
        self._wheels: dict[str, Wheel] = {}
        self._unsupported = False

    def load_installed(self) -> None:
        """Make what an earlier run installed available again (before the first sync)."""
        for key, installed in self._dir.installed().items():
            activate(installed)
            self._catalogue.add_entries(installed.entries())
            self.active[key] = installed
        if self.active:
            log.info("Driver packages in %s: %s", self._dir.root, ", ".join(
                f"{i.wheel.package_name} {i.wheel.version}" for i in self.active.values()))

    def provides(self, plugin_id: str) -> bool:
        """Whether an uploaded package in the wheelhouse provides ``plugin_id``."""
        return any(plugin_id in w.plugin_ids for w in self._wheels.values())

    def describe(self, plugin_id: str) -> tuple[str, str]:
        """``(status, message)`` for an instance whose driver is not loaded."""
        wheel = next((w for w in self._wheels.values() if plugin_id in w.plugin_ids), None)
        if wheel is None:
            return "error", f"Driver {plugin_id!r} is not on the controller and no uploaded package provides it"
        if wheel in self.failures:
            return "error", self.failures[wheel]
        return "installing", f"Installing {wheel.package_name} {wheel.version} from the server"

    async def prepare(self, records: Iterable[Mapping[str, Any]], in_use: set[str]) -> None:
        """Start the installs the enabled ``records`` need; unload packages nobody uses any more."""
        if self._unsupported:
            return
        try:
            listing = await self._api.request("GET", WHEELHOUSE)
        except ApiError as exc:
            if exc.status in (403, 404):
                self._unsupported = True
                log.warning("No driver downloads from this server (%s); only installed drivers run", exc)
                return
            raise
        wheels = [Wheel.from_listing(item) for item in listing or ()]
        self._wheels = {w.key: w for w in wheels}
        self.failures = {w: why for w, why in self.failures.items() if self._wheels.get(w.key) == w}
        wanted = {str(r.get("plugin_id", "")) for r in records}
        for wheel in wheels:
            if not wanted & set(wheel.plugin_ids) or wheel in self.failures or wheel.key in self._tasks:
                continue
            current = self.active.get(wheel.key)
            if current is not None and current.wheel == wheel:
                continue
            if current is None and self._provided_by_environment(wheel):
                continue
            self._tasks[wheel.key] = asyncio.create_task(self._install(wheel), name=f"install-{wheel.key}")
        for key, installed in list(self.active.items()):
            if key not in self._wheels and not self._drivers_of(installed) & in_use:
                self._unload(key)

    def _provided_by_environment(self, wheel: Wheel) -> bool:
        for plugin_id in wheel.plugin_ids:
            if self._catalogue.get(plugin_id, search=False) is not None and self._catalogue.location(plugin_id) is None:
                log.info("Driver %r is installed with the controller; %s is not fetched", plugin_id, wheel.filename)
                return True
        return False

    def _drivers_of(self, installed: Installed) -> set[str]:
        return {i for i in installed.wheel.plugin_ids} | {
            i for i in self._catalogue.available
            if (where := self._catalogue.location(i)) is not None and where.is_relative_to(installed.path)
        }

    async def _install(self, wheel: Wheel) -> None:
        from webmacs_sdk.wheelcheck import WheelRejected, sanitise_filename

        scratch = await asyncio.to_thread(self._dir.scratch)
        try:
            log.info("Fetching %s from the server's wheelhouse", wheel.filename)
            try:
                # The installer reads the wheel's tags from its file name.
                path = scratch / sanitise_filename(wheel.filename)
            except WheelRejected as exc:
                raise InstallFailed(f"{wheel.filename!r} refused: {exc.message}") from None
            sha256 = await self._api.download(f"{WHEELHOUSE}/{wheel.package_name}/{wheel.version}/{wheel.sha256}", path)
            installed = await asyncio.to_thread(self._dir.install, wheel, path, sha256)
        except (ApiError, InstallFailed, OSError) as exc:
            self.failures[wheel] = str(exc)[:2000]
            log.error("Driver package %s %s not installed: %s", wheel.package_name, wheel.version, exc)
        else:
            self._switch(wheel.key, installed)
            log.info("Driver package %s %s installed and loaded", wheel.package_name, wheel.version)
        finally:
            await asyncio.to_thread(shutil.rmtree, scratch, True)
            self._tasks.pop(wheel.key, None)
            self._on_change()

    def _switch(self, key: str, installed: Installed) -> None:
        old = self.active.get(key)
        if old is not None:
            # Running instances keep the old classes until the bridge replaced them; the files stay
            # until then too, for modules a driver imports late.
            deactivate(old)
            self._catalogue.drop_location(old.path)
            self._retired.append(old)
        activate(installed)
        self._catalogue.add_entries(installed.entries())
        self.active[key] = installed

    def _unload(self, key: str) -> None:
        installed = self.active.pop(key)
        deactivate(installed)
        self._catalogue.drop_location(installed.path)
        self._retired.append(installed)
        log.info("Driver package %s %s removed from the server: unloaded", installed.wheel.package_name,
                 installed.wheel.version)

    def finish(self, running: Iterable[type[Any]]) -> None:
        """After the bridge applied a sync: delete retired packages no running instance comes from."""
        homes = {Path(file).resolve() for cls in running if (file := _source_file(cls))}
        keep: list[Installed] = []
        for installed in self._retired:
            if any(home.is_relative_to(installed.path) for home in homes):
                keep.append(installed)
            else:
                self._dir.remove(installed)
                log.info("Removed %s %s from the plugin directory", installed.wheel.package_name,
                         installed.wheel.version)
        self._retired = keep

    async def close(self) -> None:
        for task in list(self._tasks.values()):
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)


def _source_file(cls: type[Any]) -> str | None:
    """The file a class's code was loaded from; read from its functions, because after a version
    switch ``sys.modules`` maps the module's name to the new version's file."""
    for value in vars(cls).values():
        code = getattr(value, "__code__", None)
        if code is not None:
            return str(code.co_filename)
    return None
