"""WebMACS OTA plugin: firmware update records (``/api/v1/ota``), Ed25519-signed wheel bundles, and
A/B installs that a supervisor switches to, checks and rolls back.

Every state change of a record emits an ``ota.*`` domain event, which the logs plugin writes as a
log entry. CLI: ``webmacs ota keygen|bundle|verify|init`` and ``webmacs supervise``.
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from aiohttp import web

from webmacs_ota import workflow
from webmacs_ota.routes import routes
from webmacs_ota.settings import OtaSettings
from webmacs_sdk import CleanupContextSpec, MigrationSpec, Route, SettingsSpec, hookimpl
from webmacs_sdk.keys import HOST


@hookimpl
def webmacs_settings_model() -> list[SettingsSpec]:
    return [SettingsSpec("ota", OtaSettings)]


@hookimpl
def webmacs_migrations() -> list[MigrationSpec]:
    return [MigrationSpec("ota", Path(__file__).parent / "migrations", depends_on=("users",))]


@hookimpl
def webmacs_register_routes() -> list[Route]:
    return list(routes)


async def _outcome_watcher(app: web.Application) -> AsyncIterator[None]:
    await workflow.fail_interrupted(app)
    task = None
    if workflow.runtime(app).layout is not None:
        task = app[HOST].spawn(workflow.watch_outcomes(app), name="ota.outcomes")
    yield
    if task is not None:
        task.cancel()


@hookimpl
def webmacs_cleanup_ctx() -> list[CleanupContextSpec]:
    return [CleanupContextSpec("ota.outcomes", _outcome_watcher)]


@hookimpl(optionalhook=True)
def webmacs_ui_pages() -> list[Any]:
    from webmacs_ota.pages import PAGES

    return list(PAGES)


@hookimpl
def webmacs_cli_commands(subparsers: argparse._SubParsersAction[Any]) -> None:
    from webmacs_ota import cli

    cli.register(subparsers)
