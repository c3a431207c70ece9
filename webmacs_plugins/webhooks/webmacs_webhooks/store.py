"""Queries on the webhook tables and their response shapes (contract §2.5)."""

from __future__ import annotations

import json
import logging
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from webmacs_sdk.timefmt import iso_z
from webmacs_webhooks.tables import webhook_delivery_attempts, webhooks

Row = sa.Row[Any]
log = logging.getLogger(__name__)


async def by_public_id(conn: AsyncConnection, public_id: str) -> Row | None:
    return (await conn.execute(sa.select(webhooks).where(webhooks.c.public_id == public_id))).first()


async def url_taken(conn: AsyncConnection, url: str, *, exclude_id: int | None = None) -> bool:
    query = sa.select(webhooks.c.id).where(webhooks.c.url == url)
    if exclude_id is not None:
        query = query.where(webhooks.c.id != exclude_id)
    return (await conn.execute(query.limit(1))).first() is not None


def event_list(row: Any) -> list[str]:
    """The subscribed types; a corrupt JSON value subscribes to nothing (and is logged)."""
    try:
        value = json.loads(row.events)
    except (TypeError, ValueError):
        log.warning("webhook %s has a corrupt event list; skipped", row.public_id)
        return []
    return [str(v) for v in value] if isinstance(value, list) else []


async def subscribers(conn: AsyncConnection, event_type: str) -> list[Row]:
    """Enabled webhooks subscribed to ``event_type``."""
    rows = (await conn.execute(sa.select(webhooks).where(webhooks.c.enabled.is_(True)).order_by(webhooks.c.id))).all()
    return [row for row in rows if event_type in event_list(row)]


async def subscribed_types(conn: AsyncConnection) -> set[str]:
    rows = (
        await conn.execute(sa.select(webhooks.c.public_id, webhooks.c.events).where(webhooks.c.enabled.is_(True)))
    ).all()
    types: set[str] = set()
    for row in rows:
        types.update(event_list(row))
    return types


def to_response(row: Row) -> dict[str, Any]:
    """WebhookResponse; the secret is never returned."""
    return {
        "public_id": row.public_id,
        "url": row.url,
        "events": event_list(row),
        "enabled": row.enabled,
        "created_on": iso_z(row.created_on),
        "user_public_id": row.user_public_id,
    }


def delivery_response(row: Row) -> dict[str, Any]:
    """WebhookDeliveryResponse (the payload itself is not exposed)."""
    return {
        "public_id": row.public_id,
        "event_type": row.event_type,
        "status": row.status,
        "attempts": row.attempts,
        "last_error": row.last_error,
        "response_code": row.response_code,
        "created_on": iso_z(row.created_on),
        "delivered_on": iso_z(row.delivered_on),
    }


def attempt_response(row: Row) -> dict[str, Any]:
    return {
        "attempt": row.attempt,
        "started_on": iso_z(row.started_on),
        "duration_ms": row.duration_ms,
        "response_code": row.response_code,
        "error": row.error,
        "response_excerpt": row.response_excerpt,
    }


async def attempts_of(conn: AsyncConnection, delivery_id: int) -> list[Row]:
    query = (
        sa.select(webhook_delivery_attempts)
        .where(webhook_delivery_attempts.c.delivery_id == delivery_id)
        .order_by(webhook_delivery_attempts.c.attempt, webhook_delivery_attempts.c.id)
    )
    return list((await conn.execute(query)).all())
