"""WebMACS web UI plugin: the layout, sign-in, navigation and the pages every plugin contributes.

It owns the UI's hooks (``webmacs_ui.hookspecs``): ``webmacs_ui_pages`` (a page: one spec and a
template), ``webmacs_sign_in_methods``, ``webmacs_menu_items``, ``webmacs_widget_types`` and
``webmacs_templates``. Its own page is the overview at ``/``: live values, freshness and a chart.
"""

from __future__ import annotations

from typing import Any

from webmacs_sdk import CleanupContextSpec, MenuItem, Page, Policy, Route, hookimpl
from webmacs_ui.overview import overview_context
from webmacs_ui.rendering import templates_ctx
from webmacs_ui.routes import routes


@hookimpl
def webmacs_addhooks(pluginmanager: Any) -> None:
    """The UI's own hooks (pages, sign-in methods, menu items, widget types, template folders)."""
    from webmacs_ui import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


@hookimpl
def webmacs_register_routes() -> list[Route]:
    return list(routes)


@hookimpl
def webmacs_cleanup_ctx() -> list[CleanupContextSpec]:
    return [CleanupContextSpec("ui.templates", templates_ctx, order=0)]


@hookimpl(optionalhook=True)
def webmacs_ui_pages() -> list[Page]:
    return [Page("/", "Overview", "ui/overview.html", Policy.AUTHENTICATED, overview_context, menu_order=10)]


@hookimpl(optionalhook=True)
def webmacs_menu_items() -> list[MenuItem]:
    return [MenuItem("Health (JSON)", "/health", Policy.PUBLIC, order=90)]
