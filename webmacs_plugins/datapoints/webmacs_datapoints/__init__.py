"""WebMACS datapoints plugin: the ``sql`` storage backend, ``/api/v1/datapoints``, the
telemetry and live-stream WebSockets, and the experiment CSV export.

Depends on the events plugin (event ids, names) and the experiments plugin (tagging,
export); both are read only through their public ``store``/``tables`` modules.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp import web

from webmacs_datapoints import compaction, export, live, maintenance, telemetry
from webmacs_datapoints import pages as ui_pages
from webmacs_datapoints.routes import routes
from webmacs_datapoints.settings import DatapointsSettings
from webmacs_datapoints.storage import open_sql_storage
from webmacs_datapoints.tables import datapoints
from webmacs_sdk import (
    CleanupContextSpec,
    MigrationSpec,
    ReferencingTable,
    Route,
    SettingsSpec,
    StorageBackendSpec,
    hookimpl,
)
from webmacs_sdk.models import IngestBatch


@hookimpl
def webmacs_settings_model() -> list[SettingsSpec]:
    return [SettingsSpec("datapoints", DatapointsSettings)]


@hookimpl
def webmacs_migrations() -> list[MigrationSpec]:
    folder = Path(__file__).parent / "migrations"
    return [MigrationSpec("datapoints", folder, depends_on=("events", "experiments"))]


# Datapoints refer to their event and experiment without foreign keys (ingest locks them once a
# batch instead of checking every row): their owners delete the rows with them. Chunks keep
# their foreign keys, which cascade.
@hookimpl(optionalhook=True)  # the events plugin's hook
def webmacs_event_referencing_tables() -> list[ReferencingTable]:
    return [ReferencingTable(datapoints, "event_id")]


@hookimpl(optionalhook=True)  # the experiments plugin's hook
def webmacs_experiment_referencing_tables() -> list[ReferencingTable]:
    return [ReferencingTable(datapoints, "experiment_id")]


@hookimpl
def webmacs_register_routes() -> list[Route]:
    return [*routes, *telemetry.routes, *live.routes, *export.routes]


@hookimpl
def webmacs_register_storage_backends() -> list[StorageBackendSpec]:
    return [StorageBackendSpec("sql", open_sql_storage, "SQLite or PostgreSQL (binary COPY)")]


@hookimpl
async def webmacs_on_datapoints(app: web.Application, batch: IngestBatch) -> None:
    maintenance.note_batch(app, batch)
    await live.publish(app, batch)


@hookimpl(optionalhook=True)
async def webmacs_health(app: web.Application) -> dict[str, Any]:
    return await maintenance.health(app)


@hookimpl
def webmacs_cleanup_ctx() -> list[CleanupContextSpec]:
    return [
        CleanupContextSpec("datapoints.prune", maintenance.pruner),
        CleanupContextSpec("datapoints.compact", compaction.compactor),
    ]


@hookimpl(optionalhook=True)
def webmacs_ui_pages() -> list[Any]:
    return list(ui_pages.PAGES)
