"""The durable outbox: one delivery row per subscribed, enabled webhook, written inside the
transaction of the domain event's cause, so a firing and its deliveries commit (or vanish) together."""

from __future__ import annotations

import json

import sqlalchemy as sa
from aiohttp import web

from webmacs_sdk.db import new_public_id
from webmacs_sdk.events import DomainEvent
from webmacs_sdk.models import Transaction
from webmacs_sdk.timefmt import iso_offset, utcnow
from webmacs_webhooks import store
from webmacs_webhooks.runtime import runtime
from webmacs_webhooks.tables import PENDING, webhook_deliveries


def body_for(event: DomainEvent) -> str:
    """The exact body: Python-default ``json.dumps`` of ``{"type", "time", **payload}`` (contract §1.11)."""
    return json.dumps(
        {"type": event.type, "time": iso_offset(event.occurred_at or utcnow()), **event.payload}, default=str
    )


async def enqueue(app: web.Application, tx: Transaction, event: DomainEvent) -> int:
    """Write the deliveries of ``event``; the dispatcher is woken once the cause commits."""
    rows = await store.subscribers(tx.conn, event.type)
    if not rows:
        return 0
    body = body_for(event)
    now = utcnow()
    await tx.conn.execute(
        sa.insert(webhook_deliveries),
        [
            {
                "public_id": new_public_id(),
                "webhook_id": row.id,
                "event_type": event.type,
                "payload": body,
                "status": PENDING,
                "attempts": 0,
                "created_on": now,
                "next_attempt_at": now,
            }
            for row in rows
        ],
    )
    tx.after_commit(runtime(app).dispatcher.poke)
    return len(rows)
