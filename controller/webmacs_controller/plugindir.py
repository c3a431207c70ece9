"""The controller's own plugin directory: driver wheels from the server's wheelhouse, installed and
importable without touching the controller's environment.

Layout under ``WEBMACS_PLUGIN_DIR``::

    <name>-<version>-<sha256[:12]>/   one installed wheel (its packages and .dist-info)
    .tmp/                            downloads and installs in progress

Each version has its own directory, so a new version is installed beside the running one and
switched to without a restart. A wheel is downloaded, its SHA-256 compared with the one the server
recorded, checked with the server's static checks (:mod:`webmacs_sdk.wheelcheck`, no code of it runs)
and installed with ``installer``; only a complete install is moved into place.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from webmacs_sdk.discovery import PluginEntry, find_plugins

log = logging.getLogger("webmacs.controller.plugindir")

MARKER = "webmacs-wheel.txt"


class InstallFailed(Exception):
    """A wheel could not be installed; the message is what the instance status shows."""


@dataclass(frozen=True)
class Wheel:
    """A wheelhouse entry as the server lists it (``GET /api/v1/plugins/wheelhouse``)."""

    package_name: str
    version: str
    filename: str
    sha256: str
    plugin_ids: tuple[str, ...]

    @classmethod
    def from_listing(cls, item: dict[str, Any]) -> Wheel:
        return cls(
            str(item["package_name"]),
            str(item["version"]),
            str(item["filename"]),
            str(item["sha256"]).lower(),
            tuple(str(i) for i in item.get("plugin_ids") or ()),
        )

    @property
    def key(self) -> str:
        return canonicalize_name(self.package_name)

    @property
    def folder(self) -> str:
        return f"{self.key}-{self.version}-{self.sha256[:12]}"


@dataclass(frozen=True)
class Installed:
    """A wheel installed in the plugin directory."""

    wheel: Wheel
    path: Path

    def entries(self) -> list[PluginEntry]:
        """Its plugins, read from metadata (every one is taken as a driver: only drivers come here)."""
        return find_plugins(path=[self.path])


class PluginDirectory:
    """Installs, lists, activates and removes wheels under ``root``."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).expanduser().resolve()
        self.tmp = self.root / ".tmp"

    def installed(self) -> dict[str, Installed]:
        """What is installed, by canonical package name (the newest folder wins if two are left)."""
        found: dict[str, Installed] = {}
        if not self.root.is_dir():
            return found
        for folder in sorted(self.root.iterdir(), key=lambda p: p.stat().st_mtime):
            marker = folder / MARKER
            if folder.name.startswith(".") or not marker.is_file():
                continue
            name, version, filename, sha256, *ids = marker.read_text().splitlines()
            wheel = Wheel(name, version, filename, sha256, tuple(i for i in ids if i))
            found[wheel.key] = Installed(wheel, folder)
        return found

    def scratch(self) -> Path:
        """A fresh directory for one download."""
        self.tmp.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix="fetch-", dir=self.tmp))

    def install(self, wheel: Wheel, downloaded: Path, sha256: str) -> Installed:
        """Check and install a downloaded wheel; ``sha256`` is the hex digest of the bytes received.

        :raises InstallFailed: hash mismatch, a wheel the static checks refuse, or an installer error.
        """
        from webmacs_sdk.plugindir import install_wheel_files
        from webmacs_sdk.wheelcheck import WheelRejected, sanitise_filename, validate_wheel

        if sha256 != wheel.sha256:
            raise InstallFailed(
                f"{wheel.filename}: SHA-256 mismatch (server recorded {wheel.sha256[:12]}…, "
                f"downloaded {sha256[:12]}…); not installed"
            )
        try:
            filename = sanitise_filename(wheel.filename)
            info = validate_wheel(downloaded, filename)
        except WheelRejected as exc:
            raise InstallFailed(f"{wheel.filename} refused: {exc.message}") from None
        if canonicalize_name(info.name) != wheel.key or info.version != wheel.version:
            raise InstallFailed(f"{wheel.filename} is {info.name} {info.version}, not what the server listed")
        target = self.root / wheel.folder
        if (target / MARKER).is_file():
            return Installed(wheel, target)
        staging = Path(tempfile.mkdtemp(prefix="install-", dir=self.tmp))
        try:
            try:
                install_wheel_files(downloaded, staging, installer="webmacs-controller")
            except WheelRejected as exc:
                raise InstallFailed(f"{wheel.filename}: {exc.message}") from None
            (staging / MARKER).write_text(
                "\n".join([wheel.package_name, wheel.version, wheel.filename, wheel.sha256, *wheel.plugin_ids])
            )
            shutil.rmtree(target, ignore_errors=True)
            staging.replace(target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return Installed(wheel, target)

    def remove(self, installed: Installed) -> None:
        """Delete an installed wheel (after :func:`deactivate`)."""
        if installed.path.resolve().parent == self.root:
            shutil.rmtree(installed.path, ignore_errors=True)


def activate(installed: Installed) -> None:
    """Make an installed wheel importable. Appended: it can never shadow the controller's modules."""
    path = str(installed.path)
    if path not in sys.path:
        sys.path.append(path)
    importlib.invalidate_caches()


def deactivate(installed: Installed) -> None:
    """Take a wheel off the import path and forget its imported modules, so another version of it
    imports fresh code (instances still running keep the classes they were made from)."""
    path = str(installed.path)
    if path in sys.path:
        sys.path.remove(path)
    for name, module in list(sys.modules.items()):
        origin = getattr(module, "__file__", None)
        if origin and Path(origin).resolve().is_relative_to(installed.path):
            del sys.modules[name]
    importlib.invalidate_caches()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(65536):
            digest.update(chunk)
    return digest.hexdigest()
