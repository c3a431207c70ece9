"""WebMACS webhooks plugin: subscriptions (``/api/v1/webhooks``), a durable outbox written in the
transaction of each domain event, and a dispatcher that delivers signed requests through the
egress guard with retries, a delivery log and dead-lettering.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp import web

from webmacs_sdk import (
    CleanupContextSpec,
    DomainEvent,
    EventTypeSpec,
    ExperimentStarted,
    ExperimentStopped,
    HealthChanged,
    IngestBatch,
    MigrationSpec,
    OwnedTable,
    Route,
    SensorReading,
    SettingsSpec,
    ThresholdExceeded,
    Transaction,
    hookimpl,
)
from webmacs_webhooks import hookspecs, outbox, readings
from webmacs_webhooks import pages as ui_pages
from webmacs_webhooks.event_types import event_types
from webmacs_webhooks.lifecycle import dispatcher_ctx

# The plugin's public API, listed once in public.py and importable from the package itself.
from webmacs_webhooks.public import *  # noqa: F403
from webmacs_webhooks.public import __all__ as __all__
from webmacs_webhooks.routes import routes
from webmacs_webhooks.settings import WebhookSettings
from webmacs_webhooks.tables import webhooks

#: The webhook event types of contract §2.4.
EVENT_TYPES = (
    EventTypeSpec(ThresholdExceeded.TYPE, "A threshold rule fired."),
    EventTypeSpec(SensorReading.TYPE, "A sampled reading (at most one per event every few seconds)."),
    EventTypeSpec(ExperimentStarted.TYPE, "An experiment was started."),
    EventTypeSpec(ExperimentStopped.TYPE, "An experiment was stopped."),
    EventTypeSpec(HealthChanged.TYPE, "The server's health status changed."),
)


@hookimpl
def webmacs_addhooks(pluginmanager: Any) -> None:
    """The webhooks plugin's own hook: ``webmacs_event_types`` (what subscriptions may name)."""
    pluginmanager.add_hookspecs(hookspecs)


@hookimpl
def webmacs_settings_model() -> list[SettingsSpec]:
    return [SettingsSpec("webhooks", WebhookSettings)]


@hookimpl
def webmacs_migrations() -> list[MigrationSpec]:
    return [MigrationSpec("webhooks", Path(__file__).parent / "migrations", depends_on=("users",))]


@hookimpl
def webmacs_register_routes() -> list[Route]:
    return list(routes)


@hookimpl
def webmacs_event_types() -> list[EventTypeSpec]:
    return list(EVENT_TYPES)


@hookimpl
def webmacs_cleanup_ctx() -> list[CleanupContextSpec]:
    return [CleanupContextSpec("webhooks.dispatcher", dispatcher_ctx)]


@hookimpl
async def webmacs_on_event(app: web.Application, tx: Transaction, event: DomainEvent) -> None:
    if any(spec.name == event.type for spec in event_types(app)):
        await outbox.enqueue(app, tx, event)


@hookimpl(optionalhook=True)
def webmacs_user_owned_tables() -> list[OwnedTable]:
    return [OwnedTable(webhooks)]


@hookimpl
async def webmacs_on_datapoints(app: web.Application, batch: IngestBatch) -> None:
    await readings.on_datapoints(app, batch)


@hookimpl(optionalhook=True)
def webmacs_ui_pages() -> list[Any]:
    return list(ui_pages.PAGES)
