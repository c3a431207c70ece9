"""The migration runner: one alembic branch per plugin, all upgraded to their heads."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config

from webmacs_core.plugins import WebmacsPluginManager
from webmacs_sdk.db import Database
from webmacs_sdk.errors import PluginLoadError
from webmacs_sdk.specs import MigrationSpec

SCRIPT_LOCATION = Path(__file__).parent / "migrations"


def migration_specs(pm: WebmacsPluginManager) -> list[MigrationSpec]:
    specs: list[MigrationSpec] = pm.collect("webmacs_migrations")
    branches = {spec.branch for spec in specs}
    for spec in specs:
        missing = [dep for dep in spec.depends_on if dep not in branches]
        if missing:
            raise PluginLoadError(
                spec.branch,
                f"migrations of {spec.branch!r} need the branch(es) {', '.join(missing)}, "
                "whose plugin is not loaded"
            )
    return specs


def alembic_config(pm: WebmacsPluginManager) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    config.set_main_option("path_separator", "os")
    locations = [str(spec.path) for spec in migration_specs(pm)]
    config.set_main_option("version_locations", os.pathsep.join(locations))
    return config


async def upgrade(db: Database, pm: WebmacsPluginManager) -> None:
    """Bring every loaded plugin's branch to its head, in one transaction."""
    config = alembic_config(pm)
    if not config.get_main_option("version_locations"):
        return

    def run(sync_conn: Any) -> None:
        config.attributes["connection"] = sync_conn
        command.upgrade(config, "heads")

    async with db.engine.begin() as conn:
        await conn.run_sync(run)

