"""WebMACS health plugin: ``/health``, ``/health/ready`` and ``system.health_changed`` events."""

from __future__ import annotations

from typing import Any

from webmacs_health import hookspecs
from webmacs_health import pages as ui_pages
from webmacs_health.monitor import watcher_ctx

# The plugin's public API, listed once in public.py and importable from the package itself.
from webmacs_health.public import *  # noqa: F403
from webmacs_health.public import __all__ as __all__
from webmacs_health.routes import routes
from webmacs_sdk import CleanupContextSpec, Route, hookimpl


@hookimpl
def webmacs_addhooks(pluginmanager: Any) -> None:
    """The health plugin's own hook: ``webmacs_health`` (fields of the report)."""
    pluginmanager.add_hookspecs(hookspecs)


@hookimpl
def webmacs_register_routes() -> list[Route]:
    return list(routes)


@hookimpl
def webmacs_cleanup_ctx() -> list[CleanupContextSpec]:
    return [CleanupContextSpec("health.watcher", watcher_ctx)]


@hookimpl(optionalhook=True)
def webmacs_ui_pages() -> list[Any]:
    return list(ui_pages.PAGES)
