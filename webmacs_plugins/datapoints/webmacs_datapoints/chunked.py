"""PostgreSQL reads and deletes over both homes of a datapoint: plain rows and chunks.

Each query takes the plain rows of ``datapoints`` and the unnested points of
``datapoint_chunks`` (see :mod:`webmacs_datapoints.compaction`) together, and where a chunk's
stored aggregates answer the question (counts, chart buckets, the newest point) it does not
unnest the chunk at all.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy.ext.asyncio import AsyncConnection

from webmacs_datapoints import sqltext
from webmacs_datapoints.compaction import Grid
from webmacs_sdk.db import driver_connection


class Point(NamedTuple):
    """One datapoint as the API shows it."""

    id: int
    value: float
    timestamp: datetime
    event_public_id: str
    experiment_public_id: str | None


def _points(raw_where: str, chunk_where: str, point_where: str, tail: str) -> str:
    """Plain rows and unnested chunk points under one set of filters, joined to their names."""
    return f"""
SELECT p.id, p.value, p."timestamp", e.public_id, x.public_id
FROM (
    SELECT d.id, d.value, d."timestamp", d.event_id, d.experiment_id FROM datapoints d WHERE {raw_where}
    UNION ALL
    SELECT u.id, u.value, u."timestamp", c.event_id, c.experiment_id
    FROM datapoint_chunks c CROSS JOIN LATERAL unnest(c.ids, c.vals, c.tss) AS u(id, value, "timestamp")
    WHERE {chunk_where} AND {point_where}
) p
JOIN events e ON e.id = p.event_id
LEFT JOIN experiments x ON x.id = p.experiment_id
{tail}
"""


_BY_ID = _points(
    "d.id = $1", "int8range(c.min_id, c.max_id, '[]') @> $1::int8", "u.id = $1", ""
)
_WINDOW = _points(
    "d.event_id = ANY($1::int[]) AND d.\"timestamp\" >= $2",
    "c.event_id = ANY($1::int[]) AND c.last_ts >= $2",
    "u.\"timestamp\" >= $2",
    'ORDER BY p."timestamp", p.id',
)
class Where(NamedTuple):
    """The list's filters: one event's id, and a time range whose ends are included; ``None`` is open."""

    event_id: int | None = None
    start: datetime | None = None
    end: datetime | None = None


class _Clauses(NamedTuple):
    """SQL conditions of a :class:`Where` on plain rows, on chunks that may hold a matching point,
    on chunks whose every point matches, and on unnested points; ``args`` fill their parameters."""

    raw: str
    chunk: str
    inside: str
    point: str
    args: list[Any]


def _clauses(where: Where, first: int) -> _Clauses:
    """Only the filters that are set become SQL, numbered from parameter ``$first`` on."""
    raw, chunk, inside, point = ["TRUE"], ["TRUE"], ["TRUE"], ["TRUE"]
    args: list[Any] = []

    def param(value: Any) -> str:
        args.append(value)
        return f"${first + len(args) - 1}"

    if where.event_id is not None:
        n = param(where.event_id)
        raw.append(f"d.event_id = {n}")
        chunk.append(f"c.event_id = {n}")
    if where.start is not None:
        n = param(where.start)
        raw.append(f'd."timestamp" >= {n}')
        chunk.append(f"c.last_ts >= {n}")
        inside.append(f"c.first_ts >= {n}")
        point.append(f'u."timestamp" >= {n}')
    if where.end is not None:
        n = param(where.end)
        raw.append(f'd."timestamp" <= {n}')
        chunk.append(f"c.first_ts <= {n}")
        inside.append(f"c.last_ts <= {n}")
        point.append(f'u."timestamp" <= {n}')
    return _Clauses(" AND ".join(raw), " AND ".join(chunk), " AND ".join(inside), " AND ".join(point), args)


def _page_query(c: _Clauses) -> str:
    """$1 rows to skip, $2 rows to return, $3 oldest time a returned chunk point can have (or NULL)."""
    return _points(
        c.raw,
        f"({c.chunk}) AND ($3::timestamptz IS NULL OR c.last_ts >= $3)",
        f"({c.point}) AND ($3::timestamptz IS NULL OR u.\"timestamp\" >= $3)",
        'ORDER BY p."timestamp" DESC, p.id DESC OFFSET $1 LIMIT $2',
    )


def _count_query(c: _Clauses) -> str:
    """A chunk wholly inside the filter counts by its stored ``n``; one across an edge, point by point."""
    return f"""
SELECT (SELECT count(*) FROM datapoints d WHERE {c.raw})
     + (SELECT coalesce(sum(CASE WHEN {c.inside} THEN c.n ELSE (
            SELECT count(*) FROM unnest(c.tss) AS u("timestamp") WHERE {c.point}) END), 0)
        FROM datapoint_chunks c WHERE {c.chunk})
"""


def _newest_chunks_query(c: _Clauses) -> str:
    """The newest chunks that may hold a matching point, with how many they surely hold."""
    return f"""
SELECT c.first_ts, CASE WHEN {c.inside} THEN c.n ELSE 0 END FROM datapoint_chunks c
WHERE {c.chunk} ORDER BY c.last_ts DESC LIMIT $1
"""


_LATEST = """
SELECT l.id, l.value, l."timestamp", e.public_id, x.public_id
FROM events e
CROSS JOIN LATERAL (
    SELECT * FROM (
        (SELECT d.id, d.value, d."timestamp", d.experiment_id FROM datapoints d
         WHERE d.event_id = e.id ORDER BY d."timestamp" DESC, d.id DESC LIMIT 1)
        UNION ALL
        (SELECT c.last_id, c.last_value, c.last_ts, c.experiment_id FROM datapoint_chunks c
         WHERE c.event_id = e.id ORDER BY c.last_ts DESC, c.last_id DESC LIMIT 1)
    ) candidates ORDER BY "timestamp" DESC, id DESC LIMIT 1
) l
LEFT JOIN experiments x ON x.id = l.experiment_id
ORDER BY e.id
"""
_LAST_TIMESTAMP = """
SELECT greatest(
    (SELECT max(o."timestamp") FROM events e CROSS JOIN LATERAL (
        SELECT d."timestamp" FROM datapoints d WHERE d.event_id = e.id ORDER BY d."timestamp" DESC LIMIT 1) o),
    (SELECT max(c.last_ts) FROM datapoint_chunks c))
"""

# $1 events, $2 window start, $3 bucket width, $4 the newest bucket's start (later points join
# it), $5 the bucket grid's origin (see compaction.chart_grid). Every source yields partial aggregates per bucket: plain
# rows one point each, a chunk that lies inside one bucket its stored aggregates, and a chunk
# across a bucket edge (or the window start) its points.
_BUCKET = "least(date_bin($3, {t}, $5), $4)"
_INSIDE = f"c.first_ts >= $2 AND {_BUCKET.format(t='c.first_ts')} = {_BUCKET.format(t='c.last_ts')}"
_BUCKETS = f"""
SELECT event_id, min(lo), sum(total) / sum(n), max(hi), sum(n)::int8,
       {sqltext.isoformat(sqltext.utc_text("max(last)"), "Z")}, {sqltext.public_id("max(last_id)")}
FROM (
    SELECT d.event_id, {_BUCKET.format(t='d."timestamp"')} AS b, 1 AS n, d.value AS lo, d.value AS hi,
           d.value AS total, d."timestamp" AS last, d.id AS last_id
    FROM datapoints d WHERE d.event_id = ANY($1::int[]) AND d."timestamp" >= $2
    UNION ALL
    SELECT c.event_id, {_BUCKET.format(t="c.first_ts")}, c.n, c.vmin, c.vmax, c.vsum, c.last_ts, c.last_id
    FROM datapoint_chunks c
    WHERE c.event_id = ANY($1::int[]) AND c.last_ts >= $2 AND {_INSIDE}
    UNION ALL
    SELECT s.event_id, {_BUCKET.format(t='u."timestamp"')}, 1, u.value, u.value, u.value, u."timestamp", u.id
    FROM (SELECT c.id, c.event_id FROM datapoint_chunks c
          WHERE c.event_id = ANY($1::int[]) AND c.last_ts >= $2 AND NOT ({_INSIDE})) s
    JOIN datapoint_chunks c ON c.id = s.id
    CROSS JOIN LATERAL unnest(c.ids, c.vals, c.tss) AS u(id, value, "timestamp")
    WHERE u."timestamp" >= $2
) parts
GROUP BY event_id, b
ORDER BY event_id, b
"""

_FIND_IN_CHUNK = """
SELECT id, ids, tss, vals, csv_heads, csv_tails FROM datapoint_chunks
WHERE int8range(min_id, max_id, '[]') @> $1::int8 AND $1 = ANY(ids)
FOR UPDATE
"""
_REWRITE_CHUNK = """
UPDATE datapoint_chunks SET first_ts = $2, last_ts = $3, min_id = $4, max_id = $5, last_id = $6,
    vmin = $7, vmax = $8, vsum = $9, last_value = $10, n = $11, ids = $12, tss = $13, vals = $14,
    csv_heads = $15, csv_tails = $16
WHERE id = $1
"""


async def page(conn: AsyncConnection, offset: int, limit: int, where: Where = Where()) -> tuple[int, list[Point]]:
    """Newest first. Only chunks that can hold one of the first ``offset + limit`` points are
    unnested: the newest chunks that together surely hold that many points bound their time (a
    chunk across an edge of the time filter holds an unknown number of matching points: none is
    assumed)."""
    driver = await driver_connection(conn)
    counted = _clauses(where, 1)
    total = int(await driver.fetchval(_count_query(counted), *counted.args))
    wanted = offset + limit
    oldest: datetime | None = None
    held = 0
    newest = _clauses(where, 2)
    for first_ts, n in await driver.fetch(_newest_chunks_query(newest), wanted, *newest.args):
        held += n
        oldest = first_ts if oldest is None else min(oldest, first_ts)
        if held >= wanted:
            break
    else:
        oldest = None
    listed = _clauses(where, 4)
    rows = await driver.fetch(_page_query(listed), offset, limit, oldest, *listed.args)
    return total, [Point(*r) for r in rows]


async def by_id(conn: AsyncConnection, row_id: int) -> Point | None:
    row = await (await driver_connection(conn)).fetchrow(_BY_ID, row_id)
    return Point(*row) if row is not None else None


async def window(conn: AsyncConnection, event_ids: list[int], start: datetime) -> list[Point]:
    """Every point of these events from ``start`` on, oldest first."""
    return [Point(*r) for r in await (await driver_connection(conn)).fetch(_WINDOW, event_ids, start)]


async def latest(conn: AsyncConnection) -> list[Point]:
    return [Point(*r) for r in await (await driver_connection(conn)).fetch(_LATEST)]


async def last_timestamp(conn: AsyncConnection) -> datetime | None:
    value: datetime | None = await (await driver_connection(conn)).fetchval(_LAST_TIMESTAMP)
    return value


async def buckets(
    conn: AsyncConnection, event_ids: list[int], start: datetime, grid: Grid
) -> list[tuple[int, list[Any]]]:
    """Per event and bucket of ``grid``, from ``start`` on: min, average, max, count, and the newest
    point's time and public id as the API writes them."""
    driver = await driver_connection(conn)
    newest = grid.origin + grid.width * (grid.buckets - 1)
    async with driver.transaction():
        # The chunks' estimates lean to a parallel plan, whose worker start-up alone costs
        # more than the few thousand index entries a chart reads.
        await driver.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        rows = await driver.fetch(_BUCKETS, event_ids, start, grid.width, newest, grid.origin)
    return [(row[0], list(row[1:])) for row in rows]


async def delete(conn: AsyncConnection, row_id: int) -> bool:
    """Delete one datapoint, wherever it is stored; a chunk is rewritten without it."""
    driver = await driver_connection(conn)
    async with driver.transaction():
        return await _delete(driver, row_id)


async def _delete(driver: Any, row_id: int) -> bool:
    status = await driver.execute("DELETE FROM datapoints WHERE id = $1", row_id)
    if not status.endswith(" 0"):
        return True
    chunk = await driver.fetchrow(_FIND_IN_CHUNK, row_id)
    if chunk is None:
        return False
    keep = [i for i, point_id in enumerate(chunk["ids"]) if point_id != row_id]
    if not keep:
        await driver.execute("DELETE FROM datapoint_chunks WHERE id = $1", chunk["id"])
        return True
    ids = [chunk["ids"][i] for i in keep]
    tss = [chunk["tss"][i] for i in keep]
    vals = [chunk["vals"][i] for i in keep]
    heads, tails = (None if chunk[c] is None else [chunk[c][i] for i in keep] for c in ("csv_heads", "csv_tails"))
    await driver.execute(
        _REWRITE_CHUNK, chunk["id"], tss[0], tss[-1], min(ids), max(ids), ids[-1],
        min(vals), max(vals), sum(vals), vals[-1], len(ids), ids, tss, vals, heads, tails,
    )
    return True
