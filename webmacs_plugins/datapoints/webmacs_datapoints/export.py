"""``GET /api/v1/experiments/{public_id}/export/csv`` (contract §2.7), streamed with flat memory.

PostgreSQL formats every cell in SQL and streams ``COPY ... TO STDOUT (FORMAT csv)`` straight
into the response; SQLite streams a server-side cursor through ``csv.writer``. Both produce the
same bytes: CRLF rows, ISO timestamps with ``+00:00``, values as Python's float ``repr``, and
user-controlled text cells that start with ``= + - @ TAB CR`` prefixed with ``'`` so that
spreadsheets do not run them as formulas.
"""

from __future__ import annotations

import asyncio
import csv
import io
import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from aiohttp import web

from webmacs_datapoints import ids, sqltext
from webmacs_datapoints.tables import datapoints
from webmacs_events.tables import events
from webmacs_experiments import store as experiments_store
from webmacs_sdk.db import driver_connection
from webmacs_sdk.errors import NotFound
from webmacs_sdk.keys import DATABASE
from webmacs_sdk.specs import Policy, RouteTable
from webmacs_sdk.timefmt import iso_offset

routes = RouteTable("/api/v1/experiments")

HEADER = b"timestamp,event_name,event_public_id,value,unit,datapoint_public_id\r\n"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_CHUNK = 64 * 1024

# Cell formatting in SQL, identical to the Python path below. Each CASE tests numbers first, so a
# common row costs about one output function per cell; string surgery is left to rare rows.
# ``d.t`` is the row's timestamp text, computed once per row in the slice query below.
_PG_TIME = sqltext.isoformat("d.t", "+00:00")
# float8::text is the shortest round-trip form, like repr(); only the notation differs:
# repr adds ".0" to integral values and writes exponent 15 (1e15 <= |v| < 1e16) in positional form.
_PG_DIGITS = "replace(split_part(ltrim(d.value::text, '-'), 'e', 1), '.', '')"
_PG_VALUE = f"""CASE
  WHEN abs(d.value) < 1e15 THEN
    CASE WHEN d.value = trunc(d.value) THEN d.value::text || '.0' ELSE d.value::text END
  WHEN abs(d.value) < 1e16 THEN
    CASE WHEN d.value < 0 THEN '-' ELSE '' END ||
    CASE WHEN length({_PG_DIGITS}) <= 16 THEN rpad({_PG_DIGITS}, 16, '0') || '.0'
         ELSE left({_PG_DIGITS}, 16) || '.' || substr({_PG_DIGITS}, 17) END
  ELSE d.value::text END"""
# A user-controlled text cell: neutralised (see ``neutralise``), and NULL for '' because COPY
# writes NULL, not '', as an empty unquoted cell.
_PG_TEXT = """CASE WHEN left({c}, 1) IN ('=', '+', '-', '@', E'\\t', E'\\r') THEN '''' || {c}
              ELSE NULLIF({c}, '') END"""
_PG_EVENT_CELLS = f'{_PG_TEXT.format(c="e.name")} AS name, e.public_id, {_PG_TEXT.format(c="e.unit")} AS unit'
# One time slice of the export: the experiment's plain rows and chunk points in [$2, $3), in time
# order; $4 bounds the chunks' window starts from below so the index skips older chunks. A chunk
# is joined to its event's cells once, before its points are unnested; the points are sorted by
# the inner ORDER BY before any of them is formatted, and the levels above only project, which
# keeps the order (an outer ORDER BY would sort the formatted rows a second time). Rows with the
# same timestamp (one batch) are not ordered further: a tie-break on the id would add a sort key
# to every row.
_PG_SLICE = f"""
SELECT {_PG_TIME}, d.name, d.public_id, {_PG_VALUE}, d.unit, {sqltext.public_id("d.id")}
FROM (
    SELECT p.*, {sqltext.utc_text('p."timestamp"')} AS t FROM (
        SELECT * FROM (
            SELECT unnest(c.ids) AS id, unnest(c.tss) AS "timestamp", unnest(c.vals) AS value, {_PG_EVENT_CELLS}
            FROM datapoint_chunks c JOIN events e ON e.id = c.event_id
            WHERE c.experiment_id = $1 AND c.bin >= $4 AND c.bin < $3 AND c.last_ts >= $2
        ) u
        WHERE u."timestamp" >= $2 AND u."timestamp" < $3
        UNION ALL
        SELECT r.id, r."timestamp", r.value, {_PG_EVENT_CELLS}
        FROM datapoints r JOIN events e ON e.id = r.event_id
        WHERE r.experiment_id = $1 AND r.experiment_id IS NOT NULL AND r."timestamp" >= $2 AND r."timestamp" < $3
        ORDER BY 2
    ) p
    OFFSET 0
) d
"""
_PG_BINS = """
SELECT bin, sum(n) FROM datapoint_chunks WHERE experiment_id = $1 GROUP BY bin ORDER BY bin
"""
_PG_WIDEST_CHUNK = "SELECT max(last_ts - bin) FROM datapoint_chunks WHERE experiment_id = $1"
#: Points per slice: each slice is sorted in memory by PostgreSQL and held by the server until
#: its turn (about 14 MB of CSV), so this bounds both.
SLICE_POINTS = 100_000
#: COPY hands over ~8 KB pieces; the response gets them about 1 MB at a time.
_PARTS_PER_WRITE = 128
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


class CrlfRows:
    """Turns COPY's LF row ends into CRLF, leaving line breaks inside quoted cells alone."""

    def __init__(self) -> None:
        self.quoted = False

    def __call__(self, chunk: bytes) -> bytes:
        if not self.quoted and b'"' not in chunk:
            return chunk.replace(b"\n", b"\r\n")
        parts = chunk.split(b'"')
        for index, part in enumerate(parts):
            if not (self.quoted ^ (index % 2 == 1)):
                parts[index] = part.replace(b"\n", b"\r\n")
        self.quoted ^= (len(parts) - 1) % 2 == 1
        return b'"'.join(parts)


async def _copy_postgres(request: web.Request, experiment_id: int, response: web.StreamResponse) -> None:
    """Two connections on one snapshot format alternate slices, so both cores work on the
    cells; the response takes the slices in order."""
    database = request.app[DATABASE]
    async with database.connect() as first, database.connect() as second:
        lead, helper = await driver_connection(first), await driver_connection(second)
        async with lead.transaction(readonly=True, isolation="repeatable_read"):
            snapshot = await lead.fetchval("SELECT pg_export_snapshot()")
            async with helper.transaction(readonly=True, isolation="repeatable_read"):
                await helper.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
                for driver in (lead, helper):
                    # Pins the timestamp text form _PG_TIME expects; JIT costs more than it saves.
                    await driver.execute("SET LOCAL DateStyle = 'ISO, YMD'; SET LOCAL jit = off")
                widest = await lead.fetchval(_PG_WIDEST_CHUNK, experiment_id) or timedelta(0)
                bounds = _slice_bounds(await lead.fetch(_PG_BINS, experiment_id))
                slices = [
                    (experiment_id, start, end, start - widest if start > _BEGINNING else start)
                    for start, end in itertools.pairwise(bounds)
                ]
                await _stream_slices((lead, helper), slices, response)


async def _stream_slices(drivers: tuple[Any, Any], slices: list[tuple[Any, ...]], response: web.StreamResponse) -> None:
    """Slice ``i`` is formatted by ``drivers[i % 2]`` into memory and written in order; a
    connection starts its next slice only when its previous one was written, so at most
    two slices are held and a slow client slows the export down instead of filling memory."""
    loop = asyncio.get_running_loop()
    ready: list[asyncio.Future[list[bytes]]] = [loop.create_future() for _ in slices]
    written = [asyncio.Event() for _ in slices]

    async def produce(driver: Any, first: int) -> None:
        for index in range(first, len(slices), 2):
            if index >= 2:
                await written[index - 2].wait()
            parts: list[bytes] = []

            async def keep(chunk: bytes, parts: list[bytes] = parts) -> None:
                parts.append(bytes(chunk))

            try:
                await driver.copy_from_query(_PG_SLICE, *slices[index], output=keep, format="csv")
            except BaseException as exc:
                ready[index].set_exception(exc)
                raise
            ready[index].set_result(parts)

    producers = [asyncio.ensure_future(produce(driver, first)) for first, driver in enumerate(drivers)]
    crlf = CrlfRows()
    try:
        for index, future in enumerate(ready):
            parts = await future
            for start in range(0, len(parts), _PARTS_PER_WRITE):
                await response.write(crlf(b"".join(parts[start : start + _PARTS_PER_WRITE])))
            written[index].set()
    finally:
        for task in producers:
            task.cancel()
        await asyncio.gather(*producers, return_exceptions=True)
        for future in ready:
            if future.done() and not future.cancelled():
                future.exception()  # retrieved: a client that left must not log a second error


def _slice_bounds(bins: list[Any]) -> list[datetime]:
    """Slice edges at chunk window starts, about ``SLICE_POINTS`` points apart; the first and
    last slices are open, so plain rows before or after every chunk are in one of them."""
    bounds = [_BEGINNING]
    held = 0
    for bin_start, points in bins:
        if held >= SLICE_POINTS:
            bounds.append(bin_start)
            held = 0
        held += points
    bounds.append(_END)
    return bounds


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
        experiment = await experiments_store.by_public_id(conn, public_id)
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
