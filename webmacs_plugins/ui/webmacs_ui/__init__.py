"""WebMACS web UI plugin: ``/`` shows the newest value of every event, live.

It is built from what plugins contribute: template folders (``webmacs_templates``; any
``panels/*.html`` becomes a panel of the page), navigation (``webmacs_menu_items``) and
dashboard widget types (``webmacs_widget_types``).
"""

from __future__ import annotations

from webmacs_sdk import MenuItem, Policy, Route, hookimpl
from webmacs_ui.routes import routes


@hookimpl
def webmacs_register_routes() -> list[Route]:
    return list(routes)


@hookimpl
def webmacs_menu_items() -> list[MenuItem]:
    return [
        MenuItem("Live data", "/", Policy.PUBLIC, order=10),
        MenuItem("Health", "/health", Policy.PUBLIC, order=90),
        MenuItem("Plugins (JSON)", "/api/v1/system/plugins", Policy.ADMIN, order=95),
    ]
