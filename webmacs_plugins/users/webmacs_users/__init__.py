"""WebMACS users plugin: the ``users`` table, ``/api/v1/users`` and the first admin.

Other plugins read users and hash passwords through the names this package exports (``__all__``,
defined in :mod:`webmacs_users.public`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp import web

from webmacs_sdk import MigrationSpec, Route, SettingsSpec, hookimpl
from webmacs_users import cli, hookspecs
from webmacs_users import pages as ui_pages

# The plugin's public API, listed once in public.py and importable from the package itself.
from webmacs_users.public import *  # noqa: F403
from webmacs_users.public import __all__ as __all__
from webmacs_users.routes import routes
from webmacs_users.seed import seed_admin
from webmacs_users.settings import UsersSettings


@hookimpl
def webmacs_addhooks(pluginmanager: Any) -> None:
    pluginmanager.add_hookspecs(hookspecs)


@hookimpl
def webmacs_settings_model() -> list[SettingsSpec]:
    return [SettingsSpec("users", UsersSettings)]


@hookimpl
def webmacs_migrations() -> list[MigrationSpec]:
    return [MigrationSpec("users", Path(__file__).parent / "migrations")]


@hookimpl
def webmacs_register_routes() -> list[Route]:
    return list(routes)


@hookimpl(tryfirst=True)
async def webmacs_startup(app: web.Application) -> None:
    await seed_admin(app)


@hookimpl
def webmacs_cli_commands(subparsers: Any) -> None:
    cli.add_command(subparsers)


@hookimpl(optionalhook=True)
def webmacs_ui_pages() -> list[Any]:
    return list(ui_pages.PAGES)
