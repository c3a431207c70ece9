"""Read queries: list, one by id, latest per event, and SQL-side down-sampled series."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from webmacs_datapoints import chunked, ids
from webmacs_datapoints.compaction import Grid, chart_grid
from webmacs_datapoints.tables import datapoints
from webmacs_events import events
from webmacs_experiments import experiments
from webmacs_sdk.db import Database, UTCDateTime
from webmacs_sdk.timefmt import iso_z, utcnow

Row = sa.Row[Any] | chunked.Point

_COLUMNS = (
    datapoints.c.id,
    datapoints.c.value,
    datapoints.c.timestamp,
    events.c.public_id.label("event_public_id"),
    experiments.c.public_id.label("experiment_public_id"),
)


def _joined(*columns: Any) -> sa.Select[Any]:
    return sa.select(*(columns or _COLUMNS)).select_from(
        datapoints.join(events, events.c.id == datapoints.c.event_id).outerjoin(
            experiments, experiments.c.id == datapoints.c.experiment_id
        )
    )


def to_response(row: Row) -> dict[str, Any]:
    """DatapointResponse of contract §2.5."""
    return {
        "public_id": ids.public_id(row.id),
        "value": row.value,
        "timestamp": iso_z(row.timestamp),
        "event_public_id": row.event_public_id,
        "experiment_public_id": row.experiment_public_id,
    }


def _is_postgres(conn: AsyncConnection) -> bool:
    return conn.dialect.name == "postgresql"


class Selection(NamedTuple):
    """The list's filters; ``None`` leaves that side open."""

    event_public_id: str | None = None
    start: datetime | None = None
    end: datetime | None = None


async def page(
    conn: AsyncConnection, page_no: int, size: int, selection: Selection = Selection()
) -> tuple[int, list[Row]]:
    event_id: int | None = None
    if selection.event_public_id is not None:
        found = (await conn.execute(
            sa.select(events.c.id).where(events.c.public_id == selection.event_public_id)
        )).scalar()
        if found is None:
            return 0, []
        event_id = int(found)
    if _is_postgres(conn):
        where = chunked.Where(event_id, selection.start, selection.end)
        total, points = await chunked.page(conn, (page_no - 1) * size, size, where)
        return total, list(points)
    conditions: list[Any] = []
    if event_id is not None:
        conditions.append(datapoints.c.event_id == event_id)
    if selection.start is not None:
        conditions.append(datapoints.c.timestamp >= selection.start)
    if selection.end is not None:
        conditions.append(datapoints.c.timestamp <= selection.end)
    counted = sa.select(sa.func.count()).select_from(datapoints).where(*conditions)
    total = int((await conn.execute(counted)).scalar_one())
    query = (
        _joined()
        .where(*conditions)
        .order_by(datapoints.c.timestamp.desc(), datapoints.c.id.desc())
        .limit(size)
        .offset((page_no - 1) * size)
    )
    return total, list((await conn.execute(query)).all())


async def by_id(conn: AsyncConnection, row_id: int) -> Row | None:
    if _is_postgres(conn):
        return await chunked.by_id(conn, row_id)
    return (await conn.execute(_joined().where(datapoints.c.id == row_id))).first()


async def latest(conn: AsyncConnection) -> list[Row]:
    """One row per event that has data: the newest, ties broken by the highest id.

    One index probe per event (a correlated ``LIMIT 1`` on (event_id, timestamp)), never a scan.
    """
    if _is_postgres(conn):
        return list(await chunked.latest(conn))
    newest = (
        sa.select(datapoints.c.id)
        .where(datapoints.c.event_id == events.c.id)
        .order_by(datapoints.c.timestamp.desc(), datapoints.c.id.desc())
        .limit(1)
        .scalar_subquery()
        .correlate(events)
    )
    query = (
        sa.select(*_COLUMNS)
        .select_from(
            events.join(datapoints, datapoints.c.id == newest).outerjoin(
                experiments, experiments.c.id == datapoints.c.experiment_id
            )
        )
        .order_by(events.c.id)
    )
    return list((await conn.execute(query)).all())  # type: ignore[arg-type]


async def last_timestamp(conn: AsyncConnection) -> datetime | None:
    """The newest datapoint time, through the per-event index (no full scan)."""
    if _is_postgres(conn):
        return await chunked.last_timestamp(conn)
    newest = (
        sa.select(datapoints.c.timestamp)
        .where(datapoints.c.event_id == events.c.id)
        .order_by(datapoints.c.timestamp.desc())
        .limit(1)
        .scalar_subquery()
        .correlate(events)
    )
    value = (await conn.execute(sa.select(sa.func.max(sa.type_coerce(newest, UTCDateTime))))).scalar()
    return value


async def _buckets_sqlite(
    conn: AsyncConnection, event_ids: list[int], start: datetime, grid: Grid
) -> list[tuple[int, list[Any]]]:
    epoch = (sa.func.julianday(datapoints.c.timestamp) - 2440587.5) * 86400.0
    offset = (epoch - grid.origin.timestamp()) / grid.width.total_seconds()
    raw_bucket = sa.cast(sa.func.floor(offset), sa.Integer)
    bucket = sa.case((raw_bucket >= grid.buckets, grid.buckets - 1), else_=raw_bucket)
    query = (
        sa.select(
            datapoints.c.event_id,
            sa.func.min(datapoints.c.value),
            sa.func.avg(datapoints.c.value),
            sa.func.max(datapoints.c.value),
            sa.func.count(),
            sa.type_coerce(sa.func.max(datapoints.c.timestamp), UTCDateTime),
            sa.func.max(datapoints.c.id),
        )
        .where(datapoints.c.event_id.in_(event_ids), datapoints.c.timestamp >= start)
        .group_by(datapoints.c.event_id, bucket)
        .order_by(datapoints.c.event_id, bucket)
    )
    return [
        (row[0], [*row[1:5], iso_z(row[5]), ids.public_id(row[6])]) for row in await conn.execute(query)
    ]


async def series(
    conn: AsyncConnection, event_public_ids: Sequence[str], minutes: int, max_points: int,
    *, grid_seconds: int, end: datetime | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """Each requested event's points of the last ``minutes``, oldest first.

    A series with more than ``max_points`` points is down-sampled in SQL into at most
    ``max_points`` equal time buckets (on the grid of :func:`compaction.chart_grid`): each
    bucket is one DatapointResponse (the average value at the time of the bucket's newest
    point, the id of that point) with the
    extension fields ``min``, ``max`` and ``count``. One aggregate pass over the window
    answers both "how many points" and the buckets; only short series are read again raw.
    """
    result: dict[str, list[dict[str, Any]]] = {public_id: [] for public_id in event_public_ids}
    rows = (await conn.execute(
        sa.select(events.c.id, events.c.public_id).where(events.c.public_id.in_(list(result)))
    )).all()
    if not rows:
        return result
    by_id = {int(r.id): str(r.public_id) for r in rows}
    end = end or utcnow()
    start = end - timedelta(minutes=minutes)
    grid = chart_grid(start, end, max_points, grid_seconds)
    aggregate = chunked.buckets if _is_postgres(conn) else _buckets_sqlite
    buckets: dict[int, list[list[Any]]] = {}
    for event_id, cells in await aggregate(conn, list(by_id), start, grid):
        buckets.setdefault(event_id, []).append(cells)
    raw_ids = {event_id for event_id, cells in buckets.items() if sum(c[3] for c in cells) <= max_points}
    if raw_ids and _is_postgres(conn):
        for point in await chunked.window(conn, sorted(raw_ids), start):
            result[point.event_public_id].append(to_response(point))
    elif raw_ids:
        query = (
            _joined()
            .where(datapoints.c.event_id.in_(sorted(raw_ids)), datapoints.c.timestamp >= start)
            .order_by(datapoints.c.timestamp, datapoints.c.id)
        )
        for row in await conn.execute(query):
            result[row.event_public_id].append(to_response(row))
    for event_id, cells in buckets.items():
        if event_id in raw_ids:
            continue
        public_id = by_id[event_id]
        result[public_id] = [
            {
                "public_id": last_id,
                "value": float(avg),
                "timestamp": last,
                "event_public_id": public_id,
                "experiment_public_id": None,
                "min": float(low),
                "max": float(high),
                "count": int(count),
            }
            for low, avg, high, count, last, last_id in cells
        ]
    return result


async def delete(database: Database, row_id: int) -> bool:
    """Delete one datapoint; False when there is none with this id."""
    async with database.connect() as conn:
        if _is_postgres(conn):
            return await chunked.delete(conn, row_id)
    async with database.transaction() as tx:
        result = await tx.conn.execute(sa.delete(datapoints).where(datapoints.c.id == row_id))
    return bool(result.rowcount)
