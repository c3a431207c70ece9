"""``GET /api/v1/experiments/{public_id}/export/csv`` (contract §2.7), streamed with flat memory.

PostgreSQL answers in time slices of about ``SLICE_POINTS`` points, each one text value of
finished CSV rows: most cells of experiment chunks were rendered when the chunks were written
(see :mod:`webmacs_datapoints.csvsql`), so a slice costs little more than merging them in time
order. SQLite streams a server-side cursor through ``csv.writer``. Both produce the same bytes:
CRLF rows, ISO timestamps with ``+00:00``, values as Python's float ``repr``, and user-controlled
text cells that start with ``= + - @ TAB CR`` prefixed with ``'`` so that spreadsheets do not
run them as formulas.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from aiohttp import web

import webmacs_experiments as experiments_api
from webmacs_datapoints import csvsql, ids
from webmacs_datapoints.tables import datapoints
from webmacs_events import events
from webmacs_sdk.db import driver_connection
from webmacs_sdk.errors import NotFound
from webmacs_sdk.keys import DATABASE
from webmacs_sdk.specs import Policy, RouteTable
from webmacs_sdk.timefmt import iso_offset

routes = RouteTable("/api/v1/experiments")

HEADER = b"timestamp,event_name,event_public_id,value,unit,datapoint_public_id\r\n"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_CHUNK = 64 * 1024

# A time slice of the export as one text value: the experiment's points in [$2, $3), joined in
# time order. $4 bounds the chunks' window starts from below so the index skips older chunks.
# Rows with the same timestamp (one batch) are not ordered further: a tie-break on the id would
# add a sort key to every row. The text is decoded and encoded again by the server rather than
# sent as bytes (``textsend``): that copy costs the server less than PostgreSQL, the busier side.
_JOINED = "SELECT string_agg(line, E'\\r\\n' ORDER BY ts) FROM ({rows}) rows"
_CHUNKS_IN_SLICE = "c.experiment_id = $1 AND c.bin >= $4 AND c.bin < $3 AND c.last_ts >= $2"
# Chunks rendered with their event's current name and unit: stored cells around the value.
_RENDERED = f"""
SELECT u.ts, u.head || ({csvsql.value("u.value")}) || u.tail AS line FROM (
    SELECT unnest(c.tss) AS ts, unnest(c.csv_heads) AS head, unnest(c.vals) AS value, unnest(c.csv_tails) AS tail
    FROM datapoint_chunks c JOIN events e ON e.id = c.event_id
    WHERE {_CHUNKS_IN_SLICE} AND c.csv_name = e.name AND c.csv_unit = e.unit
) u
WHERE u.ts >= $2 AND u.ts < $3
"""
# The other chunks and the plain rows, rendered here.
_UNRENDERED = f"""
SELECT u.ts, {csvsql.row("u.ts", "u.value", "u.id", "u.head", "u.tail")} FROM (
    SELECT unnest(c.ids) AS id, unnest(c.tss) AS ts, unnest(c.vals) AS value, k.head, k.tail
    FROM datapoint_chunks c JOIN cells k ON k.id = c.event_id
    WHERE {_CHUNKS_IN_SLICE} AND (c.csv_heads IS NULL OR c.csv_name <> k.name OR c.csv_unit <> k.unit)
) u
WHERE u.ts >= $2 AND u.ts < $3
UNION ALL
SELECT r."timestamp", {csvsql.row('r."timestamp"', "r.value", "r.id", "k.head", "k.tail")}
FROM datapoints r JOIN cells k ON k.id = r.event_id
WHERE r.experiment_id = $1 AND r.experiment_id IS NOT NULL AND r."timestamp" >= $2 AND r."timestamp" < $3
"""
#: A slice that only rendered chunks overlap (most of them) skips the other sources' branches,
#: whose mere presence costs every row a pass through the union.
_PG_RENDERED_SLICE = _JOINED.format(rows=_RENDERED)
_PG_SLICE = f"WITH cells AS (SELECT {csvsql.event_cells('e')} FROM events e) " + _JOINED.format(
    rows=f"{_RENDERED} UNION ALL {_UNRENDERED}"
)
# Where the points that the export renders itself lie.
_PG_UNRENDERED_SPANS = """
SELECT min(c.first_ts), max(c.last_ts) FROM datapoint_chunks c JOIN events e ON e.id = c.event_id
WHERE c.experiment_id = $1 AND (c.csv_heads IS NULL OR c.csv_name <> e.name OR c.csv_unit <> e.unit)
UNION ALL
SELECT min("timestamp"), max("timestamp") FROM datapoints WHERE experiment_id = $1 AND experiment_id IS NOT NULL
"""
_PG_BINS = """
SELECT bin, sum(n) FROM datapoint_chunks WHERE experiment_id = $1 GROUP BY bin ORDER BY bin
"""
# Every $2-th plain row's time: slice edges that bound the rows not compacted yet, too.
_PG_PLAIN_EDGES = """
SELECT "timestamp" FROM (
    SELECT "timestamp", row_number() OVER (ORDER BY "timestamp") AS n
    FROM datapoints WHERE experiment_id = $1 AND experiment_id IS NOT NULL
) r
WHERE n % $2 = 0
"""
_PG_WIDEST_CHUNK = "SELECT max(last_ts - bin) FROM datapoint_chunks WHERE experiment_id = $1"
#: Points per slice: each slice is merged in memory by PostgreSQL and held by the server until
#: its turn (about 7 MB of CSV), so this and ``HELD_SLICES`` bound both.
SLICE_POINTS = 50_000
#: Connections that merge slices, taken from the pool for the export's length: two keep both
#: cores of a small box busy (three measured no faster there) and leave the pool to ingest.
CONNECTIONS = 2
#: Slices merged ahead of the response: each connection works on its next slice while the
#: response still writes earlier ones.
HELD_SLICES = 6
_BEGINNING = datetime(1, 1, 1, tzinfo=UTC)
_END = datetime(9999, 12, 31, tzinfo=UTC)


def neutralise(text: str) -> str:
    """A user-controlled cell that a spreadsheet would evaluate gets a leading quote."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def filename(name: str, public_id: str) -> str:
    """``experiment_<name>_<8 id chars>.csv``: spaces → ``_``, ``/`` → ``-`` (contract §2.7); quotes
    and control characters, which would break the header, → ``_``."""
    safe = "".join("_" if ch == '"' or ord(ch) < 32 or ch == "\x7f" else ch for ch in name)
    return f"experiment_{safe.replace(' ', '_').replace('/', '-')}_{public_id[:8]}.csv"


async def _copy_postgres(request: web.Request, experiment_id: int, response: web.StreamResponse) -> None:
    """``CONNECTIONS`` connections on one snapshot merge slices in turn, so every core works on
    the rows; the response takes the slices in order."""
    database = request.app[DATABASE]
    async with contextlib.AsyncExitStack() as stack:
        connections = [await stack.enter_async_context(database.connect()) for _ in range(CONNECTIONS)]
        drivers = [await driver_connection(conn) for conn in connections]
        lead = drivers[0]
        await stack.enter_async_context(lead.transaction(readonly=True, isolation="repeatable_read"))
        snapshot = await lead.fetchval("SELECT pg_export_snapshot()")
        for driver in drivers:
            if driver is not lead:
                await stack.enter_async_context(driver.transaction(readonly=True, isolation="repeatable_read"))
                await driver.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
            # A slice is sorted in memory (about 15 MB), not spilled to disk.
            await driver.execute(f"{csvsql.SESSION}; SET LOCAL work_mem = '64MB'")
        await _stream_slices(drivers, await _plan(lead, experiment_id), response)


async def _plan(driver: Any, experiment_id: int) -> list[tuple[str, tuple[Any, ...]]]:
    """The query and arguments of each slice, in time order."""
    widest = await driver.fetchval(_PG_WIDEST_CHUNK, experiment_id) or timedelta(0)
    bounds = _slice_bounds(
        await driver.fetch(_PG_BINS, experiment_id),
        [row[0] for row in await driver.fetch(_PG_PLAIN_EDGES, experiment_id, SLICE_POINTS)],
    )
    spans = [(first, last) for first, last in await driver.fetch(_PG_UNRENDERED_SPANS, experiment_id) if first]
    plan = []
    for start, end in itertools.pairwise(bounds):
        rendered_only = not any(start <= last and first < end for first, last in spans)
        args = (experiment_id, start, end, start - widest if start > _BEGINNING else start)
        plan.append((_PG_RENDERED_SLICE if rendered_only else _PG_SLICE, args))
    return plan


async def _stream_slices(
    drivers: list[Any], slices: list[tuple[str, tuple[Any, ...]]], response: web.StreamResponse
) -> None:
    """Slice ``i`` is merged by ``drivers[i % len(drivers)]`` into memory and written in order; a
    slice starts only when the one ``HELD_SLICES`` before it was written, so at most that many
    are held and a slow client slows the export down instead of filling memory."""
    loop = asyncio.get_running_loop()
    ready: list[asyncio.Future[str | None]] = [loop.create_future() for _ in slices]
    written = [asyncio.Event() for _ in slices]

    async def produce(driver: Any, first: int) -> None:
        for index in range(first, len(slices), len(drivers)):
            if index >= HELD_SLICES:
                await written[index - HELD_SLICES].wait()
            try:
                query, args = slices[index]
                ready[index].set_result(await driver.fetchval(query, *args))
            except BaseException as exc:
                ready[index].set_exception(exc)
                raise

    producers = [asyncio.ensure_future(produce(driver, first)) for first, driver in enumerate(drivers)]
    try:
        for index, future in enumerate(ready):
            rows = await future
            if rows:  # NULL: no point in this slice
                await response.write(rows.encode())
                await response.write(b"\r\n")
            written[index].set()
    finally:
        for task in producers:
            task.cancel()
        await asyncio.gather(*producers, return_exceptions=True)
        for future in ready:
            if future.done() and not future.cancelled():
                future.exception()  # retrieved: a client that left must not log a second error


def _slice_bounds(bins: list[Any], plain_edges: list[datetime]) -> list[datetime]:
    """Slice edges at chunk window starts about ``SLICE_POINTS`` points apart, and at the
    given edges between plain rows; the first and last slices are open, so every point is in
    one of them."""
    bounds = {_BEGINNING, _END, *plain_edges}
    held = 0
    for bin_start, points in bins:
        if held >= SLICE_POINTS:
            bounds.add(bin_start)
            held = 0
        held += points
    return sorted(bounds)


async def _write_sqlite(request: web.Request, experiment_id: int, response: web.StreamResponse) -> None:
    query = (
        sa.select(datapoints.c.timestamp, events.c.name, events.c.public_id, datapoints.c.value,
                  events.c.unit, datapoints.c.id)
        .select_from(datapoints.join(events, events.c.id == datapoints.c.event_id))
        .where(datapoints.c.experiment_id == experiment_id)
        .order_by(datapoints.c.timestamp, datapoints.c.id)
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    async with request.app[DATABASE].connect() as conn:
        result = await conn.stream(query.execution_options(yield_per=2000))
        async for partition in result.partitions():
            writer.writerows(
                (iso_offset(ts), neutralise(name), event, repr(float(value)), neutralise(unit),
                 ids.public_id(rid))
                for ts, name, event, value, unit, rid in partition
            )
            if buffer.tell() >= _CHUNK:
                await response.write(buffer.getvalue().encode())
                buffer.seek(0)
                buffer.truncate()
    if buffer.tell():
        await response.write(buffer.getvalue().encode())


@routes.get("/{public_id}/export/csv", policy=Policy.AUTHENTICATED)
async def export_csv(request: web.Request) -> web.StreamResponse:
    public_id = request.match_info["public_id"]
    database = request.app[DATABASE]
    async with database.connect() as conn:
        experiment = await experiments_api.by_public_id(conn, public_id)
    if experiment is None:
        raise NotFound.entity("Experiment", public_id)
    response = web.StreamResponse(headers={
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": f'attachment; filename="{filename(experiment.name, experiment.public_id)}"',
    })
    response.enable_chunked_encoding()
    await response.prepare(request)
    await response.write(HEADER)
    write = _copy_postgres if database.is_postgres else _write_sqlite
    await write(request, experiment.id, response)
    await response.write_eof()
    return response
