"""WebMACS dashboards plugin: personal and global dashboards with grid widgets (``/api/v1/dashboards``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp import web

from webmacs_dashboards import pages as ui_pages
from webmacs_dashboards import store
from webmacs_dashboards.routes import routes
from webmacs_sdk import DomainEvent, MigrationSpec, Route, Transaction, UserDeleted, hookimpl


@hookimpl
def webmacs_migrations() -> list[MigrationSpec]:
    return [MigrationSpec("dashboards", Path(__file__).parent / "migrations", depends_on=("users", "events"))]


@hookimpl
def webmacs_register_routes() -> list[Route]:
    return list(routes)


@hookimpl
async def webmacs_on_event(app: web.Application, tx: Transaction, event: DomainEvent) -> None:
    if isinstance(event, UserDeleted):
        await store.reassign_owner(tx.conn, event.user_public_id, event.successor_public_id)


@hookimpl(optionalhook=True)
def webmacs_ui_pages() -> list[Any]:
    return list(ui_pages.PAGES)
