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
import math
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import NamedTuple

from aiohttp import web

from webmacs_datapoints import csvsql
from webmacs_datapoints.settings import DatapointsSettings
from webmacs_sdk.db import Database, driver_connection
from webmacs_sdk.keys import DATABASE, HOST
from webmacs_sdk.timefmt import utcnow

log = logging.getLogger(__name__)

#: Distinguishes this job's advisory lock; several server processes compact one at a time.
_LOCK_KEY = 0x57_4D_43_48  # "WMCH"
_EPOCH = datetime.fromisoformat("1970-01-01T00:00:00+00:00")


#: An event's chunk window is chunk_seconds x 2**k (k <= this): nested windows, so a chart bucket
#: that is a multiple of the widest window present holds whole chunks of every event.
LADDER_STEPS = 4

# Per event: how many plain rows older than $1, over which time span. Index range scans of
# (event_id, timestamp): the cost follows the rows about to move, not the young ones.
_RATES = """
SELECT e.id, r.* FROM events e CROSS JOIN LATERAL (
    SELECT count(*), min(d."timestamp"), max(d."timestamp") FROM datapoints d
    WHERE d.event_id = e.id AND d."timestamp" < $1
) r
WHERE r.count > 0
"""

# $1 events, $2 their window widths (s), $3 their cutoffs, $4 points per chunk at most. The
# arrays take their rows in the order of the sorted subquery (PostgreSQL aggregates read their
# input in order; one sort instead of one per ``array_agg(... ORDER BY ...)``); a chunk's first
# and last point are read from its arrays. Chunks of an experiment also get their CSV cells
# (see :mod:`webmacs_datapoints.csvsql`), rendered with the event's current name and unit.
_MOVE = f"""
WITH limits AS (
    SELECT * FROM unnest($1::int[], $2::int[], $3::timestamptz[]) AS l(event_id, width, cutoff)
), cells AS (
    SELECT {csvsql.event_cells("e")} FROM events e WHERE e.id = ANY($1::int[])
), moved AS (
    DELETE FROM datapoints d USING limits l
    WHERE d.event_id = l.event_id AND d."timestamp" < l.cutoff
    RETURNING d.id, d."timestamp", d.value, d.event_id, d.experiment_id, l.width
), numbered AS (
    SELECT m.*, b.bin,
           (row_number() OVER (PARTITION BY m.event_id, m.experiment_id, b.bin
                               ORDER BY m."timestamp", m.id) - 1) / $4 AS part
    FROM moved m CROSS JOIN LATERAL (
        SELECT date_bin(make_interval(secs => m.width), m."timestamp", TIMESTAMPTZ 'epoch') AS bin
    ) b
), grouped AS (
    SELECT bin, width, event_id, experiment_id, count(*)::int AS n, min(id) AS min_id, max(id) AS max_id,
           min(value) AS vmin, max(value) AS vmax, sum(value) AS vsum,
           array_agg(id) AS ids, array_agg("timestamp") AS tss, array_agg(value) AS vals,
           array_agg({csvsql.head('"timestamp"', "head")}) FILTER (WHERE experiment_id IS NOT NULL) AS csv_heads,
           array_agg({csvsql.tail("id", "tail")}) FILTER (WHERE experiment_id IS NOT NULL) AS csv_tails
    FROM (
        SELECT o.*, k.head, k.tail FROM numbered o JOIN cells k ON k.id = o.event_id
        ORDER BY o.event_id, o.experiment_id, o.bin, o.width, o.part, o."timestamp", o.id
    ) ordered
    GROUP BY event_id, experiment_id, bin, width, part
), inserted AS (
    INSERT INTO datapoint_chunks (bin, first_ts, last_ts, min_id, max_id, last_id, vmin, vmax, vsum,
                                  last_value, event_id, experiment_id, n, width_seconds, ids, tss, vals,
                                  csv_heads, csv_tails, csv_name, csv_unit)
    SELECT g.bin, g.tss[1], g.tss[g.n], g.min_id, g.max_id, g.ids[g.n], g.vmin, g.vmax, g.vsum,
           g.vals[g.n], g.event_id, g.experiment_id, g.n, g.width, g.ids, g.tss, g.vals,
           g.csv_heads, g.csv_tails, CASE WHEN g.csv_heads IS NOT NULL THEN k.name END,
           CASE WHEN g.csv_heads IS NOT NULL THEN k.unit END
    FROM grouped g JOIN cells k ON k.id = g.event_id
    RETURNING n
)
SELECT coalesce(sum(n), 0) FROM inserted
"""


def _floor(moment: datetime, width: timedelta) -> datetime:
    return _EPOCH + (moment - _EPOCH) // width * width


class Grid(NamedTuple):
    """Chart buckets: ``buckets`` buckets of ``width`` from ``origin`` (the last one open-ended)."""

    origin: datetime
    width: timedelta
    buckets: int


def chart_grid(start: datetime, end: datetime, max_points: int, base_seconds: int) -> Grid:
    """At most ``max_points`` buckets over [start, end], laid on the chunk windows' grid.

    A bucket at least one base window wide is widened to base x 2**k (or, past the widest
    window, to a multiple of it), with edges on multiples of that width: every chunk whose
    window is not wider than a bucket then lies inside one bucket, and the chart reads its
    stored aggregates. The grid does not depend on what has been compacted yet.
    """
    width = (end - start) / max_points
    base = timedelta(seconds=base_seconds)
    if width < base:
        return Grid(start, width, max_points)
    widest = base * 2**LADDER_STEPS
    past_ladder = width >= widest
    width = -(-width // widest) * widest if past_ladder else base * 2 ** math.ceil(math.log2(width / base))
    origin = _floor(start, width)
    return Grid(origin, width, min(max_points, -(-(end - origin) // width)))


def window_width(settings: DatapointsSettings, count: int, span: timedelta) -> int:
    """The chunk window (s) of an event that had ``count`` points over ``span``: the shortest
    on the ladder expected to hold ``chunk_target_points``."""
    width = settings.chunk_seconds
    rate = count / span.total_seconds() if span > timedelta(0) else 0.0
    for _ in range(LADDER_STEPS):
        if rate * width >= settings.chunk_target_points:
            break
        width *= 2
    return width


async def compact(database: Database, settings: DatapointsSettings, *, before: datetime | None = None) -> int:
    """Move plain rows into chunks; returns the number of datapoints moved.

    By default each event's rows move in whole windows that ended the hold period ago, at
    most ``2**LADDER_STEPS * 24`` base windows per transaction, so a backlog moves in bounded
    steps. With ``before``, every row older than it moves, whole windows or not.
    """
    if not database.is_postgres:
        return 0
    widest = timedelta(seconds=settings.chunk_seconds * 2**LADDER_STEPS)
    moved = 0
    while True:
        limit = before or utcnow() - timedelta(seconds=settings.compact_after_seconds)
        async with database.connect() as conn:
            driver = await driver_connection(conn)
            async with driver.transaction():
                if not await driver.fetchval("SELECT pg_try_advisory_xact_lock($1)", _LOCK_KEY):
                    return moved
                rates = await driver.fetch(_RATES, limit)
                if not rates:
                    return moved
                upper = limit if before else min(limit, _floor(min(r[2] for r in rates), widest) + 24 * widest)
                events, widths, cutoffs = [], [], []
                for event_id, count, oldest, newest in rates:
                    width = window_width(settings, count, newest - oldest)
                    events.append(event_id)
                    widths.append(width)
                    cutoffs.append(upper if before else _floor(upper, timedelta(seconds=width)))
                await driver.execute(csvsql.SESSION)
                count = await driver.fetchval(_MOVE, events, widths, cutoffs, settings.chunk_max_points)
        moved += count
        if not count or before or upper >= limit:
            return moved
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
