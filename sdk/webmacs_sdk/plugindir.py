"""Plugin directories: the layout of the server's (``WEBMACS_PLUGIN_DIR``, owned by the core's
settings) and the one way a wheel is installed into a plugin directory, server or controller.

The core puts :func:`site_packages` on the import path (:func:`add_to_import_path`) before it discovers
plugins; the plugin manager installs uploaded wheels there. Both derive it from the one setting through
this module. Controllers keep a directory of their own, one folder per installed wheel; both install
with :func:`install_wheel_files`.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

#: What a wheel may not install: plugin wheels bring packages only (see :mod:`webmacs_sdk.wheelcheck`).
_OUTSIDE_PACKAGES = ("scripts", "headers", "data")


def site_packages(plugin_dir: str | Path) -> Path:
    """Where uploaded plugin wheels are installed (absolute)."""
    return Path(plugin_dir).expanduser().resolve() / "site-packages"


def add_to_import_path(plugin_dir: str | Path) -> None:
    """Append the plugin directory's ``site-packages`` to ``sys.path`` if it exists, so that entry-point
    discovery finds the uploaded wheels (appended: they never shadow the server's own modules)."""
    uploaded = site_packages(plugin_dir)
    if uploaded.is_dir() and str(uploaded) not in sys.path:
        sys.path.append(str(uploaded))
        importlib.invalidate_caches()


def install_wheel_files(wheel: Path, staging: Path, *, installer: str) -> list[Path]:
    """Install ``wheel`` (already checked by :func:`~webmacs_sdk.wheelcheck.validate_wheel`) into
    ``staging``, an empty directory of the caller's; returns the top-level entries it created there
    (packages, modules, ``.dist-info``), for the caller to move into place.

    Every file is verified against the wheel's ``RECORD`` while it is written; ``installer`` is
    recorded as the ``INSTALLER`` of the distribution. Nothing but packages may be installed.

    :raises WheelRejected: 500 when the installer fails or the wheel writes scripts, headers or data.
    """
    # Imported here: the core and the controller load this module at start, and install rarely.
    from installer import install
    from installer.destinations import SchemeDictionaryDestination
    from installer.sources import WheelFile

    from webmacs_sdk.wheelcheck import WheelRejected

    # A dot name: no package, module or .dist-info of the wheel can be called that.
    lib = staging / ".lib"
    scheme = {"purelib": str(lib), "platlib": str(lib)}
    scheme.update({name: str(staging / name) for name in _OUTSIDE_PACKAGES})
    destination = SchemeDictionaryDestination(
        scheme, interpreter=sys.executable, script_kind="posix", bytecode_optimization_levels=()
    )
    try:
        with WheelFile.open(wheel) as source:
            source.validate_record(validate_contents=True)
            install(source, destination, additional_metadata={"INSTALLER": f"{installer}\n".encode()})
    except Exception as exc:
        raise WheelRejected(f"Plugin install failed: {str(exc)[:300]}", 500) from None
    stray = [name for name in _OUTSIDE_PACKAGES if (staging / name).exists()]
    if stray:
        raise WheelRejected(f"Plugin install failed: the wheel wrote {stray[0]} outside its packages.", 500)
    entries = [staging / entry.name for entry in sorted(lib.iterdir())]
    for entry in entries:
        (lib / entry.name).replace(entry)
    lib.rmdir()
    return entries


__all__ = ["add_to_import_path", "install_wheel_files", "site_packages"]
