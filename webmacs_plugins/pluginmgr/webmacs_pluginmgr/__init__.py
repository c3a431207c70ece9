"""WebMACS plugin management: the driver catalogue, plugin instances and channel mappings, the
ingestion stage that accepts data only for enabled instances, and plugin wheel packages.

Drivers come from the ``webmacs_register_drivers`` hook plus wheels uploaded into the isolated plugin directory
(``WEBMACS_PLUGIN_DIR``), which become available without a restart. CLI: ``webmacs plugins`` lists every
installed plugin and whether it loaded.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from aiohttp import web

from webmacs_pluginmgr import active
from webmacs_pluginmgr import pages as ui_pages
from webmacs_pluginmgr.packages_api import startup
from webmacs_pluginmgr.routes import routes
from webmacs_pluginmgr.settings import PluginMgrSettings
from webmacs_pluginmgr.tables import plugin_instances
from webmacs_sdk import IngestFilterSpec, MigrationSpec, OwnedTable, Route, SettingsSpec, hookimpl


@hookimpl
def webmacs_settings_model() -> list[SettingsSpec]:
    return [SettingsSpec("plugins", PluginMgrSettings)]


@hookimpl
def webmacs_migrations() -> list[MigrationSpec]:
    return [MigrationSpec("plugins", Path(__file__).parent / "migrations", depends_on=("users", "events"))]


@hookimpl
def webmacs_register_routes() -> list[Route]:
    return list(routes)


@hookimpl
def webmacs_ingest_filters() -> list[IngestFilterSpec]:
    return [IngestFilterSpec("plugins.enabled-events", active.only_enabled, order=20)]


@hookimpl
def webmacs_cli_commands(subparsers: argparse._SubParsersAction[Any]) -> None:
    from webmacs_pluginmgr import cli

    cli.register(subparsers)


@hookimpl
async def webmacs_startup(app: web.Application) -> None:
    await startup(app)


@hookimpl(optionalhook=True)
def webmacs_user_owned_tables() -> list[OwnedTable]:
    return [OwnedTable(plugin_instances)]


@hookimpl(optionalhook=True)
def webmacs_ui_pages() -> list[Any]:
    return list(ui_pages.PAGES)
