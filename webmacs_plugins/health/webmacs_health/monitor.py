"""Database reachability: probed for every health request and by a background watcher.

A change of state becomes a ``system.health_changed`` domain event. The event of a database
going down cannot be stored while it is down, so it is kept and emitted once it is back.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from datetime import datetime

import attrs
import sqlalchemy as sa
from aiohttp import web

from webmacs_sdk.events import HealthChanged
from webmacs_sdk.keys import DATABASE, HOST
from webmacs_sdk.timefmt import utcnow

log = logging.getLogger(__name__)

PROBE_TIMEOUT = 2.0
WATCH_INTERVAL = 10.0


@attrs.define
class HealthState:
    """Per-app health bookkeeping: start time, last known database state, unsent transitions."""

    started: float = attrs.field(factory=time.monotonic)
    database_ok: bool | None = None
    unsent: list[tuple[datetime, bool]] = attrs.field(factory=list)


STATE: web.AppKey[HealthState] = web.AppKey("state", HealthState)


def state(app: web.Application) -> HealthState:
    return app[HOST].state(STATE, HealthState)


async def probe(app: web.Application) -> bool:
    try:
        async with asyncio.timeout(PROBE_TIMEOUT), app[DATABASE].connect() as conn:
            await conn.execute(sa.text("SELECT 1"))
    except Exception as exc:
        log.warning("database health probe failed: %s", exc)
        return False
    return True


async def observe(app: web.Application, database_ok: bool) -> None:
    """Record a probe result; emit the transitions that can be stored now."""
    current = state(app)
    if current.database_ok is not None and current.database_ok != database_ok:
        current.unsent.append((utcnow(), database_ok))
    current.database_ok = database_ok
    if not database_ok or not current.unsent:
        return
    pending, current.unsent = current.unsent, []
    try:
        async with app[DATABASE].transaction() as tx:
            for occurred_at, ok in pending:
                status = "ok" if ok else "degraded"
                event = HealthChanged(status=status, database="ok" if ok else "error", occurred_at=occurred_at)
                await app[HOST].emit(tx, event)
    except Exception:
        current.unsent = pending + current.unsent
        log.exception("could not record health changes; will retry")


async def watch(app: web.Application) -> None:
    while True:
        await observe(app, await probe(app))
        await asyncio.sleep(WATCH_INTERVAL)


async def watcher_ctx(app: web.Application) -> AsyncIterator[None]:
    state(app)
    task = app[HOST].spawn(watch(app), name="health.watcher")
    yield
    task.cancel()
