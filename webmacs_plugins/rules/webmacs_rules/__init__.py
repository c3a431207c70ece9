"""WebMACS rules plugin: threshold rules (``/api/v1/rules``) evaluated in memory on every committed
batch, with cooldown, optional hysteresis and minimum duration, and pluggable operators and actions.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from aiohttp import web

from webmacs_rules import hookspecs
from webmacs_rules import pages as ui_pages
from webmacs_rules.actions import ACTIONS
from webmacs_rules.engine import engine
from webmacs_rules.operators import OPERATORS

# The plugin's public API, listed once in public.py and importable from the package itself.
from webmacs_rules.public import *  # noqa: F403
from webmacs_rules.public import __all__ as __all__
from webmacs_rules.routes import routes
from webmacs_rules.settings import RulesSettings
from webmacs_rules.tables import rules
from webmacs_sdk import (
    CleanupContextSpec,
    IngestBatch,
    MigrationSpec,
    OwnedTable,
    Route,
    RuleActionSpec,
    RuleOperatorSpec,
    SettingsSpec,
    hookimpl,
)


@hookimpl
def webmacs_settings_model() -> list[SettingsSpec]:
    return [SettingsSpec("rules", RulesSettings)]


@hookimpl
def webmacs_migrations() -> list[MigrationSpec]:
    return [MigrationSpec("rules", Path(__file__).parent / "migrations", depends_on=("users", "events"))]


@hookimpl
def webmacs_register_routes() -> list[Route]:
    return list(routes)


@hookimpl
def webmacs_addhooks(pluginmanager: Any) -> None:
    pluginmanager.add_hookspecs(hookspecs)


@hookimpl
def webmacs_register_rule_operators() -> list[RuleOperatorSpec]:
    return list(OPERATORS)


@hookimpl
def webmacs_register_rule_actions() -> list[RuleActionSpec]:
    return list(ACTIONS)


async def _load_rules(app: web.Application) -> AsyncIterator[None]:
    # Rules and their persisted states are in memory before the first batch arrives.
    await engine(app).load()
    yield


@hookimpl
def webmacs_cleanup_ctx() -> list[CleanupContextSpec]:
    return [CleanupContextSpec("rules.engine", _load_rules)]


@hookimpl
async def webmacs_on_datapoints(app: web.Application, batch: IngestBatch) -> None:
    await engine(app).evaluate(batch)


@hookimpl(optionalhook=True)
def webmacs_user_owned_tables() -> list[OwnedTable]:
    return [OwnedTable(rules)]


@hookimpl(optionalhook=True)
def webmacs_ui_pages() -> list[Any]:
    return list(ui_pages.PAGES)
