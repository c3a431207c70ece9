"""Queries on the experiments table: the public module other plugins (datapoints) use."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncConnection

from webmacs_experiments.tables import experiments
from webmacs_sdk.db import delete_with_references
from webmacs_sdk.keys import HOST
from webmacs_sdk.timefmt import iso_z

Row = sa.Row[Any]


async def by_public_id(conn: AsyncConnection, public_id: str) -> Row | None:
    return (await conn.execute(sa.select(experiments).where(experiments.c.public_id == public_id))).first()


async def running(conn: AsyncConnection) -> Row | None:
    """The running experiment, if any (the schema allows at most one)."""
    query = sa.select(experiments).where(experiments.c.stopped_on.is_(None)).order_by(experiments.c.id)
    return (await conn.execute(query.limit(1))).first()


async def name_taken(conn: AsyncConnection, name: str, *, exclude_id: int | None = None) -> bool:
    query = sa.select(experiments.c.id).where(experiments.c.name == name)
    if exclude_id is not None:
        query = query.where(experiments.c.id != exclude_id)
    return (await conn.execute(query.limit(1))).first() is not None


async def delete(app: web.Application, conn: AsyncConnection, public_id: str) -> bool:
    """Delete an experiment with its datapoints (and any other table declared through
    ``webmacs_experiment_referencing_tables``) in the caller's transaction; False if there was none."""
    declared = app[HOST].hook().webmacs_experiment_referencing_tables()
    return bool(await delete_with_references(conn, experiments, experiments.c.public_id == public_id, declared))


def to_response(row: Row) -> dict[str, Any]:
    """ExperimentResponse of contract §2.5."""
    return {
        "public_id": row.public_id,
        "name": row.name,
        "started_on": iso_z(row.started_on),
        "stopped_on": iso_z(row.stopped_on),
        "user_public_id": row.user_public_id,
    }
