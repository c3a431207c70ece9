"""Queries on plugin instances and channel mappings; functions never commit."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from webmacs_pluginmgr.tables import channel_mappings, plugin_instances
from webmacs_sdk.db import new_public_id
from webmacs_sdk.timefmt import iso_z, utcnow

Row = sa.Row[Any]


async def instance_by_public_id(conn: AsyncConnection, public_id: str) -> Row | None:
    query = sa.select(plugin_instances).where(plugin_instances.c.public_id == public_id)
    return (await conn.execute(query)).first()


async def name_taken(conn: AsyncConnection, name: str, *, exclude_id: int | None = None) -> bool:
    query = sa.select(plugin_instances.c.id).where(plugin_instances.c.instance_name == name)
    if exclude_id is not None:
        query = query.where(plugin_instances.c.id != exclude_id)
    return (await conn.execute(query.limit(1))).first() is not None


async def insert_instance(conn: AsyncConnection, **values: Any) -> Row:
    now = utcnow()
    values = {"public_id": new_public_id(), "created_on": now, "updated_on": now, **values}
    return (
        await conn.execute(sa.insert(plugin_instances).values(**values).returning(plugin_instances))
    ).one()


async def mappings_of(conn: AsyncConnection, instance_ids: Iterable[int]) -> dict[int, list[Row]]:
    """Mappings per instance id, in creation order."""
    wanted = list(instance_ids)
    found: dict[int, list[Row]] = {instance_id: [] for instance_id in wanted}
    if not wanted:
        return found
    query = (
        sa.select(channel_mappings)
        .where(channel_mappings.c.plugin_instance_id.in_(wanted))
        .order_by(channel_mappings.c.id)
    )
    for row in (await conn.execute(query)).all():
        found[row.plugin_instance_id].append(row)
    return found


async def mapping_by_public_id(conn: AsyncConnection, public_id: str) -> Row | None:
    query = sa.select(channel_mappings).where(channel_mappings.c.public_id == public_id)
    return (await conn.execute(query)).first()


async def mapping_exists(conn: AsyncConnection, instance_id: int, channel_id: str) -> bool:
    query = sa.select(channel_mappings.c.id).where(
        channel_mappings.c.plugin_instance_id == instance_id, channel_mappings.c.channel_id == channel_id
    )
    return (await conn.execute(query.limit(1))).first() is not None


async def insert_mapping(
    conn: AsyncConnection,
    *,
    instance_id: int,
    channel_id: str,
    channel_name: str,
    direction: str,
    unit: str,
    event_public_id: str | None,
) -> None:
    await conn.execute(
        sa.insert(channel_mappings).values(
            public_id=new_public_id(),
            plugin_instance_id=instance_id,
            channel_id=channel_id,
            channel_name=channel_name,
            direction=direction,
            unit=unit,
            event_public_id=event_public_id,
            created_on=utcnow(),
        )
    )


async def events_only_mapped_by(conn: AsyncConnection, instance_id: int) -> list[str]:
    """Events mapped by this instance and by no other one (those are deleted with it)."""
    mine = sa.select(channel_mappings.c.event_public_id).where(
        channel_mappings.c.plugin_instance_id == instance_id, channel_mappings.c.event_public_id.is_not(None)
    )
    shared = sa.select(channel_mappings.c.event_public_id).where(
        channel_mappings.c.plugin_instance_id != instance_id, channel_mappings.c.event_public_id.is_not(None)
    )
    mapped = set((await conn.execute(mine)).scalars())
    kept = (
        set((await conn.execute(shared.where(channel_mappings.c.event_public_id.in_(mapped)))).scalars())
        if mapped
        else set()
    )
    return sorted(mapped - kept)


def mapping_response(row: Row) -> dict[str, Any]:
    """ChannelMappingResponse of contract §2.5."""
    return {
        "public_id": row.public_id,
        "channel_id": row.channel_id,
        "channel_name": row.channel_name,
        "direction": row.direction,
        "unit": row.unit,
        "event_public_id": row.event_public_id,
        "created_on": iso_z(row.created_on),
    }


def instance_response(row: Row, mappings: list[Row]) -> dict[str, Any]:
    """PluginInstanceResponse of contract §2.5, mappings embedded."""
    return {
        "public_id": row.public_id,
        "plugin_id": row.plugin_id,
        "instance_name": row.instance_name,
        "demo_mode": row.demo_mode,
        "enabled": row.enabled,
        "status": row.status,
        "config_json": row.config_json,
        "error_message": row.error_message,
        "created_on": iso_z(row.created_on),
        "updated_on": iso_z(row.updated_on),
        "user_public_id": row.user_public_id,
        "channel_mappings": [mapping_response(m) for m in mappings],
    }
