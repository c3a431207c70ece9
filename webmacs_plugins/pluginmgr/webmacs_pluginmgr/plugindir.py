"""The isolated plugin directory: wheelhouse, install target and scratch space, and the code that
installs into it and uninstalls from it.

Layout under ``WEBMACS_PLUGIN_DIR``::

    wheels/          the uploaded wheels as accepted (a wheelhouse a controller can install from)
    site-packages/   what they install (pure-lib only); appended to ``sys.path`` at start
    .tmp/            uploads in flight and staging installs; nothing here outlives a request

The server's own environment is never written. Installation goes to a fresh staging directory
first and is moved into ``site-packages`` only when it completed, so a failed install leaves
nothing behind.
"""

from __future__ import annotations

import contextlib
import csv
import importlib
import importlib.metadata
import logging
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name

from webmacs_sdk.plugindir import install_wheel_files, site_packages
from webmacs_sdk.wheelcheck import WheelRejected

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PluginPaths:
    """The directories of one plugin directory (absolute)."""

    root: Path

    @classmethod
    def at(cls, root: str | Path) -> PluginPaths:
        return cls(Path(root).expanduser().resolve())

    @property
    def wheels(self) -> Path:
        return self.root / "wheels"

    @property
    def site(self) -> Path:
        return site_packages(self.root)

    @property
    def tmp(self) -> Path:
        return self.root / ".tmp"

    def ensure(self) -> None:
        for path in (self.wheels, self.site, self.tmp):
            path.mkdir(parents=True, exist_ok=True)

    def contains(self, path: Path) -> bool:
        return path.resolve().is_relative_to(self.root)


def activate(paths: PluginPaths) -> None:
    """Make uploaded packages importable. Appended, not prepended: nothing in the plugin directory
    can shadow a module of the server's own environment."""
    site = str(paths.site)
    if site not in sys.path:
        sys.path.append(site)
    importlib.invalidate_caches()


def installed(paths: PluginPaths) -> list[importlib.metadata.Distribution]:
    """Distributions installed in the plugin directory."""
    if not paths.site.is_dir():
        return []
    return list(importlib.metadata.distributions(path=[str(paths.site)]))


def distribution_in(site: str | Path, name: str) -> importlib.metadata.Distribution | None:
    """The distribution called ``name`` (any spelling of it) installed in the folder ``site``."""
    wanted = canonicalize_name(name)
    for dist in importlib.metadata.distributions(path=[str(site)]):
        if canonicalize_name(dist.metadata["Name"] or "") == wanted:
            return dist
    return None


def find_installed(paths: PluginPaths, name: str) -> importlib.metadata.Distribution | None:
    """The distribution called ``name`` in the plugin directory, if installed."""
    return distribution_in(paths.site, name) if paths.site.is_dir() else None


def install_wheel(wheel: Path, paths: PluginPaths) -> list[Path]:
    """Install ``wheel`` (already validated) into ``site-packages``; returns the top-level paths created.

    :raises WheelRejected: 409 if it would overwrite something, 500 if the installer failed.
    """
    staging = Path(tempfile.mkdtemp(prefix="install-", dir=paths.tmp))
    try:
        entries = install_wheel_files(wheel, staging, installer="webmacs")
        clashes = [entry.name for entry in entries if (paths.site / entry.name).exists()]
        if clashes:
            raise WheelRejected(f"Installing would overwrite '{clashes[0]}' in the plugin directory.", 409)
        moved: list[Path] = []
        try:
            for entry in entries:
                target = paths.site / entry.name
                os.replace(entry, target)
                moved.append(target)
        except OSError:
            remove_paths(moved)
            raise
        importlib.invalidate_caches()
        return moved
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def remove_paths(paths: list[Path]) -> None:
    for path in paths:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def uninstall(paths: PluginPaths, name: str) -> set[str]:
    """Remove exactly the files the installed RECORD lists (plus their bytecode caches).

    Returns the top-level module names that were installed, so the caller can unload them.
    """
    dist = find_installed(paths, name)
    if dist is None:
        return set()
    site = paths.site.resolve()
    record = dist.read_text("RECORD") or ""
    files: list[Path] = []
    top_level: set[str] = set()
    for row in csv.reader(record.splitlines()):
        if not row:
            continue
        target = (site / row[0]).resolve()
        # A RECORD edited on disk must not make us delete anything outside the plugin directory.
        if not target.is_relative_to(site) or target == site:
            log.warning("uninstall %s: ignoring RECORD entry outside the plugin directory: %s", name, row[0])
            continue
        files.append(target)
        first = Path(row[0]).parts[0]
        if not first.endswith((".dist-info", ".data")):
            top_level.add(first.split(".", 1)[0])
    for path in files:
        if path.suffix == ".py":
            for cached in (path.parent / "__pycache__").glob(f"{path.stem}.*.pyc"):
                cached.unlink(missing_ok=True)
        with contextlib.suppress(IsADirectoryError):
            path.unlink(missing_ok=True)
    _prune_empty_dirs({path.parent for path in files}, site)
    importlib.invalidate_caches()
    return top_level


def _prune_empty_dirs(directories: set[Path], site: Path) -> None:
    for directory in sorted(directories, key=lambda p: len(p.parts), reverse=True):
        current = directory
        while current != site and current.is_relative_to(site):
            cache = current / "__pycache__"
            if cache.is_dir() and not any(cache.iterdir()):
                cache.rmdir()
            try:
                current.rmdir()
            except OSError:
                break
            current = current.parent


def unload_modules(paths: PluginPaths, top_level: set[str]) -> None:
    """Forget imported modules of an uninstalled package so a later upload imports fresh code
    (only modules that were loaded from the plugin directory)."""
    site = paths.site.resolve()
    for name, module in list(sys.modules.items()):
        if name.split(".", 1)[0] not in top_level:
            continue
        origin = getattr(module, "__file__", None)
        if origin is None or Path(origin).resolve().is_relative_to(site):
            del sys.modules[name]
