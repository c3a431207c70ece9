"""The pluggy markers of the ``webmacs`` project.

Plugins decorate their hook implementations with :data:`hookimpl`; the core
declares the catalogue with :data:`hookspec` in ``webmacs_core.hookspecs``.
"""

import pluggy

PROJECT_NAME = "webmacs"
#: The entry-point group every WebMACS plugin (server feature or device driver) registers in.
ENTRY_POINT_GROUP = "webmacs.plugins"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
