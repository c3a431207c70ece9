"""WebMACS events plugin: the ``events`` table, ``/api/v1/events`` and the ingestion stage
that resolves event ids.

Other plugins read and write events through the names this package exports (``__all__``, defined
in :mod:`webmacs_events.public`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from webmacs_events import hookspecs, pages, resolver

# The plugin's public API, listed once in public.py and importable from the package itself.
from webmacs_events.public import *  # noqa: F403
from webmacs_events.public import __all__ as __all__
from webmacs_events.routes import routes
from webmacs_events.tables import events
from webmacs_sdk import IngestFilterSpec, MigrationSpec, OwnedTable, Page, Route, hookimpl


@hookimpl
def webmacs_addhooks(pluginmanager: Any) -> None:
    pluginmanager.add_hookspecs(hookspecs)


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


@hookimpl(optionalhook=True)
def webmacs_user_owned_tables() -> list[OwnedTable]:
    return [OwnedTable(events)]
