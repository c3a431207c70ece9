"""The ingestion stage that turns ``event_public_ids`` into internal event ids, with a small cache.

Resolved ids live for a few seconds only, and any deletion path (the events route, another
plugin's ``store.delete_many``) drops every cache at once through a process-wide generation
counter. Misses always ask the database, so an event created a moment ago is accepted at once.
A deletion that commits between resolution and storage surfaces as a foreign-key violation;
ingestion callers call :func:`invalidate` and retry (see the datapoints plugin).
"""

from __future__ import annotations

import time

import sqlalchemy as sa
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncConnection

from webmacs_events.tables import events
from webmacs_sdk.keys import DATABASE, HOST
from webmacs_sdk.models import IngestBatch, RejectReason

#: Seconds a resolved id is trusted without asking the database again.
TTL_SECONDS = 5.0
#: Bumped by every deletion path; a cache filled under an older generation is dropped.
_generation = [0]


def invalidate(*_: object) -> None:
    """Make every event cache of this process forget what it resolved."""
    _generation[0] += 1


def invalidate_on_commit(conn: AsyncConnection) -> None:
    """Invalidate now and again when ``conn``'s transaction commits (the rows are gone for everyone)."""
    invalidate()
    sync = conn.sync_connection
    if sync is not None and not sa.event.contains(sync, "commit", invalidate):
        sa.event.listen(sync, "commit", invalidate)


class EventCache:
    """public_id → (internal id, expiry) for one app."""

    def __init__(self, ttl: float = TTL_SECONDS) -> None:
        self.ttl = ttl
        self.generation = _generation[0]
        self.entries: dict[str, tuple[int, float]] = {}
        self.lookups = 0

    async def resolve(self, app: web.Application, public_ids: set[str]) -> dict[str, int]:
        """Internal ids of the known events among ``public_ids`` (unknown ones are absent)."""
        if self.generation != _generation[0]:
            self.entries.clear()
            self.generation = _generation[0]
        now = time.monotonic()
        found: dict[str, int] = {}
        missing: list[str] = []
        entries = self.entries
        for public_id in public_ids:
            if "\x00" in public_id:
                # No event has such an id, and PostgreSQL refuses the character in a query.
                continue
            entry = entries.get(public_id)
            if entry is not None and entry[1] > now:
                found[public_id] = entry[0]
            else:
                missing.append(public_id)
        if missing:
            generation = _generation[0]
            self.lookups += 1
            query = sa.select(events.c.public_id, events.c.id).where(events.c.public_id.in_(missing))
            async with app[DATABASE].connect() as conn:
                rows = (await conn.execute(query)).all()
            expiry = time.monotonic() + self.ttl
            for public_id, event_id in rows:
                found[public_id] = event_id
                # A deletion that started while we asked must not be undone by our answer.
                if generation == _generation[0]:
                    entries[public_id] = (event_id, expiry)
        return found


CACHE: web.AppKey[EventCache] = web.AppKey("webmacs_events.cache", EventCache)


def cache_for(app: web.Application) -> EventCache:
    return app[HOST].state(CACHE, EventCache)


async def resolve_batch(app: web.Application, batch: IngestBatch) -> None:
    """Ingest filter (order 10): fill ``batch.event_ids``; unknown events are rejected."""
    if not batch.event_public_ids:
        batch.event_ids = []
        return
    known = await cache_for(app).resolve(app, set(batch.event_public_ids))
    batch.event_ids = [known.get(public_id, -1) for public_id in batch.event_public_ids]
    if len(known) != len(set(batch.event_public_ids)):
        batch.keep((event_id >= 0 for event_id in batch.event_ids), RejectReason.UNKNOWN_EVENT)
