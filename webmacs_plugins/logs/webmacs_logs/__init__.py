"""WebMACS logs plugin: ``/api/v1/logging`` and the entries domain events leave behind.

Login, startup, experiment start/stop, rule firings (``log`` action), permanently failed
webhook deliveries and health changes each write an entry.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from aiohttp import web

from webmacs_logs import pages as ui_pages
from webmacs_logs import store
from webmacs_logs.messages import MESSAGES
from webmacs_logs.routes import routes
from webmacs_logs.tables import log_entries
from webmacs_sdk import DATABASE, SETTINGS, DomainEvent, MigrationSpec, OwnedTable, Route, Transaction, hookimpl
from webmacs_users import first_admin

log = logging.getLogger(__name__)


@hookimpl
def webmacs_migrations() -> list[MigrationSpec]:
    return [MigrationSpec("logs", Path(__file__).parent / "migrations", depends_on=("users",))]


@hookimpl
def webmacs_register_routes() -> list[Route]:
    return list(routes)


@hookimpl
async def webmacs_startup(app: web.Application) -> None:
    async with app[DATABASE].transaction() as tx:
        admin = await first_admin(tx.conn)
        if admin is None:
            return
        await store.write_entry(tx.conn, f"WebMACS Backend v{app[SETTINGS].version} started.", "info", admin.public_id)


@hookimpl(optionalhook=True)
def webmacs_user_owned_tables() -> list[OwnedTable]:
    return [OwnedTable(log_entries)]


@hookimpl
async def webmacs_on_event(app: web.Application, tx: Transaction, event: DomainEvent) -> None:
    entry = MESSAGES.get(event.type)
    if entry is None:
        return
    logging_type, render = entry
    payload = event.payload
    owner = event.actor.public_id if event.actor else payload.get("user_public_id")
    if owner is None:
        admin = await first_admin(tx.conn)
        if admin is None:
            log.warning("no user to own the log entry for %s", event.type)
            return
        owner = admin.public_id
    await store.write_entry(tx.conn, render(payload), logging_type, owner)


@hookimpl(optionalhook=True)
def webmacs_ui_pages() -> list[Any]:
    return list(ui_pages.PAGES)
