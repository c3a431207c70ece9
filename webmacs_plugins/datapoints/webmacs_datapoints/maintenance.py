"""Health and the background pruning of old idempotency records."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import attrs
import sqlalchemy as sa
from aiohttp import web

from webmacs_datapoints import queries
from webmacs_datapoints.settings import DatapointsSettings
from webmacs_datapoints.tables import telemetry_batches
from webmacs_sdk.keys import DATABASE, HOST
from webmacs_sdk.models import IngestBatch
from webmacs_sdk.timefmt import iso_z, utcnow

log = logging.getLogger(__name__)


@attrs.define
class LastSeen:
    """The newest committed datapoint time, kept up to date by the after-commit hook."""

    value: datetime | None = None
    loaded: bool = False


LAST_SEEN: web.AppKey[LastSeen] = web.AppKey("webmacs_datapoints.last_seen", LastSeen)


def note_batch(app: web.Application, batch: IngestBatch) -> None:
    if not batch.timestamps:
        return
    seen = app[HOST].state(LAST_SEEN, LastSeen)
    newest = max(batch.timestamps)
    if seen.value is None or newest > seen.value:
        seen.value = newest


async def health(app: web.Application) -> dict[str, str | None]:
    seen = app[HOST].state(LAST_SEEN, LastSeen)
    if not seen.loaded:
        async with app[DATABASE].connect() as conn:
            stored = await queries.last_timestamp(conn)
        if stored is not None and (seen.value is None or stored > seen.value):
            seen.value = stored
        seen.loaded = True
    return {"last_datapoint": iso_z(seen.value)}


async def prune_once(app: web.Application) -> int:
    settings = app[HOST].section(DatapointsSettings)
    cutoff = utcnow() - timedelta(days=settings.telemetry_dedup_days)
    async with app[DATABASE].transaction() as tx:
        old = telemetry_batches.c.received_on < cutoff
        result = await tx.conn.execute(sa.delete(telemetry_batches).where(old))
    return int(result.rowcount or 0)


async def _prune_loop(app: web.Application) -> None:
    interval = app[HOST].section(DatapointsSettings).telemetry_prune_seconds
    while True:
        await asyncio.sleep(interval)
        try:
            await prune_once(app)
        except Exception:
            log.warning("pruning telemetry batch records failed; retrying later", exc_info=True)


async def pruner(app: web.Application) -> AsyncIterator[None]:
    task = app[HOST].spawn(_prune_loop(app), name="datapoints.prune")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
