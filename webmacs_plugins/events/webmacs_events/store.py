"""Queries on the events table: the public module other plugins (datapoints, plugins, rules) use.

Functions take a connection and never commit: writes join the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncConnection

from webmacs_events import resolver
from webmacs_events.tables import EVENT_TYPES, events
from webmacs_sdk.db import delete_with_references, new_public_id
from webmacs_sdk.errors import Conflict
from webmacs_sdk.keys import HOST

Row = sa.Row[Any]

DUPLICATE = "Event already exists."


async def by_public_id(conn: AsyncConnection, public_id: str) -> Row | None:
    return (await conn.execute(sa.select(events).where(events.c.public_id == public_id))).first()


async def by_name(conn: AsyncConnection, name: str) -> Row | None:
    return (await conn.execute(sa.select(events).where(events.c.name == name))).first()


async def by_public_ids(conn: AsyncConnection, public_ids: Iterable[str]) -> list[Row]:
    wanted = list(dict.fromkeys(public_ids))
    if not wanted:
        return []
    return list((await conn.execute(sa.select(events).where(events.c.public_id.in_(wanted)))).all())


async def name_taken(conn: AsyncConnection, name: str, *, exclude_id: int | None = None) -> bool:
    query = sa.select(events.c.id).where(events.c.name == name)
    if exclude_id is not None:
        query = query.where(events.c.id != exclude_id)
    return (await conn.execute(query.limit(1))).first() is not None


async def create(
    conn: AsyncConnection,
    *,
    name: str,
    min_value: float,
    max_value: float,
    unit: str,
    type: str,
    user_public_id: str,
) -> Row:
    """Insert an event in the caller's transaction and return its row.

    :raises Conflict: ``Event already exists.`` when the name is taken.
    :raises ValueError: for a type outside contract §2.4.
    """
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type!r}")
    if await name_taken(conn, name):
        raise Conflict(DUPLICATE)
    values = {
        "public_id": new_public_id(),
        "name": name,
        "min_value": float(min_value),
        "max_value": float(max_value),
        "unit": unit,
        "type": type,
        "user_public_id": user_public_id,
    }
    return (await conn.execute(sa.insert(events).values(**values).returning(events))).one()


async def delete_many(app: web.Application, conn: AsyncConnection, public_ids: Iterable[str]) -> int:
    """Delete events with what refers to them: rules through their foreign keys, datapoints (and
    any other table declared through ``webmacs_event_referencing_tables``) right after, in the
    caller's transaction.

    Every ingestion cache forgets its resolved ids, so datapoints for these events are
    rejected as unknown from now on. Returns the number of rows deleted.
    """
    wanted = list(dict.fromkeys(public_ids))
    if not wanted:
        return 0
    resolver.invalidate_on_commit(app, conn)
    declared = app[HOST].hook().webmacs_event_referencing_tables()
    return await delete_with_references(conn, events, events.c.public_id.in_(wanted), declared)


def to_response(row: Row) -> dict[str, Any]:
    """EventResponse of contract §2.5."""
    return {
        "public_id": row.public_id,
        "name": row.name,
        "min_value": row.min_value,
        "max_value": row.max_value,
        "unit": row.unit,
        "type": row.type,
        "user_public_id": row.user_public_id,
    }


async def choices(conn: AsyncConnection) -> list[tuple[str, str]]:
    """``(public_id, name)`` of every event, by name: the choices of a form that picks an event."""
    rows = await conn.execute(sa.select(events.c.public_id, events.c.name).order_by(events.c.name))
    return [(row.public_id, row.name) for row in rows]
