"""Queries on the rules table and the RuleResponse shape (contract §2.5)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from webmacs_rules.tables import rules
from webmacs_sdk.timefmt import iso_z

Row = sa.Row[Any]

DUPLICATE = "Rule already exists."


async def by_public_id(conn: AsyncConnection, public_id: str) -> Row | None:
    return (await conn.execute(sa.select(rules).where(rules.c.public_id == public_id))).first()


async def name_taken(conn: AsyncConnection, name: str, *, exclude_id: int | None = None) -> bool:
    query = sa.select(rules.c.id).where(rules.c.name == name)
    if exclude_id is not None:
        query = query.where(rules.c.id != exclude_id)
    return (await conn.execute(query.limit(1))).first() is not None


async def enabled_rules(conn: AsyncConnection) -> list[Row]:
    query = sa.select(rules).where(rules.c.enabled.is_(True)).order_by(rules.c.id)
    return list((await conn.execute(query)).all())


def to_response(row: Row) -> dict[str, Any]:
    """RuleResponse in the contract's field order, then the additive fields."""
    return {
        "public_id": row.public_id,
        "name": row.name,
        "event_public_id": row.event_public_id,
        "operator": row.operator,
        "threshold": row.threshold,
        "threshold_high": row.threshold_high,
        "action_type": row.action_type,
        "webhook_event_type": row.webhook_event_type,
        "enabled": row.enabled,
        "cooldown_seconds": row.cooldown_seconds,
        "last_triggered_at": iso_z(row.last_triggered_at),
        "created_on": iso_z(row.created_on),
        "user_public_id": row.user_public_id,
        "hysteresis": row.hysteresis,
        "min_duration_seconds": row.min_duration_seconds,
        "state": row.state,
    }
