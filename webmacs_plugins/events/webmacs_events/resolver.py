"""The ingestion stage that turns ``event_public_ids`` into internal event ids, with a small cache.

Resolved ids live for a few seconds only, and every deletion path (the events route, another
plugin's ``public.delete_many``) drops the app's cache now and again when its transaction commits.
Misses always ask the database, so an event created a moment ago is accepted at once. A deletion
that commits between resolution and storage (in another server process) surfaces as a
foreign-key violation; the caller retries with ``batch.recheck`` set, which bypasses the cache.
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
class EventCache:
    """public_id → (internal id, expiry) for one app."""

    def __init__(self, ttl: float = TTL_SECONDS) -> None:
        self.ttl = ttl
        #: Bumped by every deletion; an answer asked for under an older generation is not kept.
        self.generation = 0
        self.entries: dict[str, tuple[int, float]] = {}
        self.lookups = 0

    def invalidate(self, *_: object) -> None:
        """Forget every resolved id."""
        self.generation += 1
        self.entries.clear()

    async def resolve(self, app: web.Application, public_ids: set[str], *, recheck: bool = False) -> dict[str, int]:
        """Internal ids of the known events among ``public_ids`` (unknown ones are absent).

        ``recheck`` asks the database for every id (a retry after a stale reference).
        """
        if recheck:
            self.invalidate()
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
            generation = self.generation
            self.lookups += 1
            query = sa.select(events.c.public_id, events.c.id).where(events.c.public_id.in_(missing))
            async with app[DATABASE].connect() as conn:
                rows = (await conn.execute(query)).all()
            expiry = time.monotonic() + self.ttl
            for public_id, event_id in rows:
                found[public_id] = event_id
                # A deletion that started while we asked must not be undone by our answer.
                if generation == self.generation:
                    entries[public_id] = (event_id, expiry)
        return found


CACHE: web.AppKey[EventCache] = web.AppKey("webmacs_events.cache", EventCache)


def cache_for(app: web.Application) -> EventCache:
    return app[HOST].state(CACHE, EventCache)


def invalidate_on_commit(app: web.Application, conn: AsyncConnection) -> None:
    """Forget resolved ids now and again when ``conn``'s transaction commits (the rows are gone for everyone)."""
    cache = cache_for(app)
    cache.invalidate()
    sync = conn.sync_connection
    if sync is not None and not sa.event.contains(sync, "commit", cache.invalidate):
        sa.event.listen(sync, "commit", cache.invalidate)


async def resolve_batch(app: web.Application, batch: IngestBatch) -> None:
    """Ingest filter (order 10): fill ``batch.event_ids``; unknown events are rejected."""
    if not batch.event_public_ids:
        batch.event_ids = []
        return
    known = await cache_for(app).resolve(app, set(batch.event_public_ids), recheck=batch.recheck)
    batch.event_ids = [known.get(public_id, -1) for public_id in batch.event_public_ids]
    if len(known) != len(set(batch.event_public_ids)):
        batch.keep((event_id >= 0 for event_id in batch.event_ids), RejectReason.UNKNOWN_EVENT)
