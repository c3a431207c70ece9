"""WebMACS dashboards plugin: personal and global dashboards with grid widgets (``/api/v1/dashboards``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from webmacs_dashboards import hookspecs
from webmacs_dashboards import pages as ui_pages
from webmacs_dashboards.routes import routes
from webmacs_dashboards.tables import dashboards
from webmacs_sdk import MigrationSpec, OwnedTable, Route, hookimpl


@hookimpl
def webmacs_addhooks(pluginmanager: Any) -> None:
    """The dashboards plugin's own hook: ``webmacs_permission`` (who may read or change a dashboard)."""
    pluginmanager.add_hookspecs(hookspecs)


@hookimpl
def webmacs_migrations() -> list[MigrationSpec]:
    return [MigrationSpec("dashboards", Path(__file__).parent / "migrations", depends_on=("users", "events"))]


@hookimpl
def webmacs_register_routes() -> list[Route]:
    return list(routes)


@hookimpl(optionalhook=True)
def webmacs_user_owned_tables() -> list[OwnedTable]:
    return [OwnedTable(dashboards)]


@hookimpl(optionalhook=True)
def webmacs_ui_pages() -> list[Any]:
    return list(ui_pages.PAGES)
