"""The pluggy markers of the ``webmacs`` project.

Plugins decorate their hook implementations with :data:`hookimpl`; the core
declares the catalogue with :data:`hookspec` in ``webmacs_core.hookspecs``.
"""

import pluggy

from webmacs_sdk.discovery import ENTRY_POINT_GROUP

PROJECT_NAME = "webmacs"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

__all__ = ["ENTRY_POINT_GROUP", "PROJECT_NAME", "hookimpl", "hookspec"]
