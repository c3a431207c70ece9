"""The layout of the plugin directory (``WEBMACS_PLUGIN_DIR``, owned by the core's settings).

The core puts :func:`site_packages` on the import path (:func:`add_to_import_path`) before it discovers
plugins; the plugin manager installs uploaded wheels there. Both derive it from the one setting through
this module.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path


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


__all__ = ["add_to_import_path", "site_packages"]
