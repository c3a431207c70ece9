"""Moving settled datapoints into ``datapoint_chunks`` (PostgreSQL).

Ingest appends one row per datapoint, interleaving all events in time. Once a row is older
than the hold period it is moved, with the other points of its event, experiment and time
window, into one chunk row (see the ``datapoints_0002`` migration). The move is a single
``DELETE ... RETURNING`` feeding an ``INSERT`` in one transaction, so a point is always in
exactly one of the two tables, whatever commits concurrently; a point that arrives later for
an already compacted window simply becomes another chunk of that window.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

from aiohttp import web

from webmacs_datapoints.settings import DatapointsSettings
from webmacs_sdk.db import Database, driver_connection
from webmacs_sdk.keys import DATABASE, HOST
from webmacs_sdk.timefmt import utcnow

log = logging.getLogger(__name__)

#: Distinguishes this job's advisory lock; several server processes compact one at a time.
_LOCK_KEY = 0x57_4D_43_48  # "WMCH"
_EPOCH = datetime.fromisoformat("1970-01-01T00:00:00+00:00")


# The oldest plain row, through one (event_id, timestamp) index probe per event.
_OLDEST = """
SELECT min(o."timestamp") FROM events e CROSS JOIN LATERAL (
    SELECT d."timestamp" FROM datapoints d WHERE d.event_id = e.id ORDER BY d."timestamp" LIMIT 1
) o
"""

# $1 events, $2/$3 time range, $4 chunk window, $5 points per chunk. The window function and
# the three ordered aggregates sort the moved rows; only the arrays' last elements are read.
_MOVE = """
WITH moved AS (
    DELETE FROM datapoints
    WHERE event_id = ANY($1::int[]) AND "timestamp" >= $2 AND "timestamp" < $3
    RETURNING id, "timestamp", value, event_id, experiment_id
), numbered AS (
    SELECT m.*, b.bin,
           (row_number() OVER (PARTITION BY m.event_id, m.experiment_id, b.bin
                               ORDER BY m."timestamp", m.id) - 1) / $5 AS part
    FROM moved m CROSS JOIN LATERAL (SELECT date_bin($4, m."timestamp", TIMESTAMPTZ 'epoch') AS bin) b
), grouped AS (
    SELECT bin, event_id, experiment_id, count(*)::int AS n, min(id) AS min_id, max(id) AS max_id,
           min(value) AS vmin, max(value) AS vmax, sum(value) AS vsum,
           array_agg(id ORDER BY "timestamp", id) AS ids,
           array_agg("timestamp" ORDER BY "timestamp", id) AS tss,
           array_agg(value ORDER BY "timestamp", id) AS vals
    FROM numbered GROUP BY event_id, experiment_id, bin, part
)
INSERT INTO datapoint_chunks (bin, first_ts, last_ts, min_id, max_id, last_id, vmin, vmax, vsum,
                              last_value, event_id, experiment_id, n, ids, tss, vals)
SELECT bin, tss[1], tss[n], min_id, max_id, ids[n], vmin, vmax, vsum,
       vals[n], event_id, experiment_id, n, ids, tss, vals
FROM grouped
RETURNING n
"""


async def compact(database: Database, settings: DatapointsSettings, *, before: datetime | None = None) -> int:
    """Move every plain row older than ``before`` (default: the hold period ago, rounded down to
    a chunk window) into chunks; returns the number of datapoints moved."""
    if not database.is_postgres:
        return 0
    window = timedelta(seconds=settings.chunk_seconds)
    if before is None:
        before = utcnow() - timedelta(seconds=settings.compact_after_seconds)
        before = _EPOCH + (before - _EPOCH) // window * window
    span = timedelta(hours=settings.compact_max_span_hours)
    moved = 0
    while True:
        async with database.connect() as conn:
            driver = await driver_connection(conn)
            async with driver.transaction():
                if not await driver.fetchval("SELECT pg_try_advisory_xact_lock($1)", _LOCK_KEY):
                    return moved
                oldest = await driver.fetchval(_OLDEST)
                if oldest is None or oldest >= before:
                    return moved
                # Bounded rounds: a backlog (restored data, a long outage) moves a span at a time.
                upper = min(before, _EPOCH + (oldest - _EPOCH) // window * window + span)
                events = [r[0] for r in await driver.fetch("SELECT id FROM events")]
                counts = await driver.fetch(_MOVE, events, oldest, upper, window, settings.chunk_max_points)
                count = sum(row[0] for row in counts)
        moved += count
        log.debug("compacted %d datapoints older than %s", count, upper)


async def _compact_loop(app: web.Application) -> None:
    settings = app[HOST].section(DatapointsSettings)
    while True:
        await asyncio.sleep(settings.compact_interval_seconds)
        try:
            await compact(app[DATABASE], settings)
        except Exception:
            log.warning("compacting datapoints failed; retrying later", exc_info=True)


async def compactor(app: web.Application) -> AsyncIterator[None]:
    """Cleanup context: the background job (PostgreSQL only)."""
    settings = app[HOST].section(DatapointsSettings)
    task = None
    if app[DATABASE].is_postgres and settings.compact_interval_seconds > 0:
        task = app[HOST].spawn(_compact_loop(app), name="datapoints.compact")
    yield
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
