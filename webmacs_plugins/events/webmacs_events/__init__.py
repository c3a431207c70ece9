"""WebMACS events plugin: the ``events`` table, ``/api/v1/events`` and the ingestion stage
that resolves event ids.

Other plugins read and write events through :mod:`webmacs_events.store`.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from webmacs_events import pages, resolver, store
from webmacs_events.routes import routes
from webmacs_sdk import IngestFilterSpec, MigrationSpec, Page, Route, hookimpl
from webmacs_sdk.events import DomainEvent, UserDeleted
from webmacs_sdk.models import Transaction


@hookimpl
def webmacs_migrations() -> list[MigrationSpec]:
    return [MigrationSpec("events", Path(__file__).parent / "migrations", depends_on=("users",))]


@hookimpl
def webmacs_register_routes() -> list[Route]:
    return list(routes)


@hookimpl(optionalhook=True)
def webmacs_ui_pages() -> list[Page]:
    return list(pages.PAGES)


@hookimpl
def webmacs_ingest_filters() -> list[IngestFilterSpec]:
    return [IngestFilterSpec("events.resolve", resolver.resolve_batch, order=10)]


@hookimpl
async def webmacs_on_event(app: web.Application, tx: Transaction, event: DomainEvent) -> None:
    # BEAT: deleting a user hands their channels to the successor instead of wiping the data.
    if isinstance(event, UserDeleted):
        await store.reassign_owner(tx.conn, event.user_public_id, event.successor_public_id)
