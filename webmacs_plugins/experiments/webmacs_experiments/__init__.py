"""WebMACS experiments plugin: the ``experiments`` table, ``/api/v1/experiments`` and the
ingestion stage that tags datapoints with the running experiment.

Starting and stopping emit ``experiment.started`` / ``experiment.stopped`` domain events
(``{"experiment": <name>, "experiment_id": <public_id>}``); the logs and webhooks plugins
react to them. Other plugins read experiments through :mod:`webmacs_experiments.store`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp import web

from webmacs_experiments import pages as ui_pages
from webmacs_experiments import store, tagging
from webmacs_experiments.routes import routes
from webmacs_sdk import EventTypeSpec, IngestFilterSpec, MigrationSpec, Route, hookimpl
from webmacs_sdk.events import DomainEvent, ExperimentStarted, ExperimentStopped, UserDeleted
from webmacs_sdk.models import Transaction


@hookimpl
def webmacs_migrations() -> list[MigrationSpec]:
    return [MigrationSpec("experiments", Path(__file__).parent / "migrations", depends_on=("users",))]


@hookimpl
def webmacs_register_routes() -> list[Route]:
    return list(routes)


@hookimpl
def webmacs_ingest_filters() -> list[IngestFilterSpec]:
    return [IngestFilterSpec("experiments.tag", tagging.tag_batch, order=30)]


@hookimpl
def webmacs_event_types() -> list[EventTypeSpec]:
    return [
        EventTypeSpec(ExperimentStarted.TYPE, "An experiment was started."),
        EventTypeSpec(ExperimentStopped.TYPE, "The running experiment was stopped."),
    ]


@hookimpl
async def webmacs_on_event(app: web.Application, tx: Transaction, event: DomainEvent) -> None:
    # BEAT: deleting a user hands their experiments (and so their datapoints) to the successor.
    if isinstance(event, UserDeleted):
        await store.reassign_owner(tx.conn, event.user_public_id, event.successor_public_id)


@hookimpl(optionalhook=True)
def webmacs_ui_pages() -> list[Any]:
    return list(ui_pages.PAGES)
