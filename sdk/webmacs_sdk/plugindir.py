"""The layout of the plugin directory (``WEBMACS_PLUGIN_DIR``, owned by the core's settings).

The core puts :func:`site_packages` on the import path before it discovers plugins; the plugin
manager installs uploaded wheels there. Both derive it from the one setting through this module.
"""

from __future__ import annotations

from pathlib import Path


def site_packages(plugin_dir: str | Path) -> Path:
    """Where uploaded plugin wheels are installed (absolute)."""
    return Path(plugin_dir).expanduser().resolve() / "site-packages"


__all__ = ["site_packages"]
