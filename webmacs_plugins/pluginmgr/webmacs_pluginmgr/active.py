"""The ingestion stage that accepts datapoints only for events mapped to an enabled instance.

The set of accepted event ids is held in memory. Every change made through this plugin's routes
marks it stale when its transaction commits, so enabling or disabling an instance takes effect
on the next batch; a short TTL covers changes made elsewhere (an event deleted through
``/api/v1/events`` nulls its mappings by foreign key).
"""

from __future__ import annotations

import asyncio
import time

import sqlalchemy as sa
from aiohttp import web

from webmacs_pluginmgr.settings import PluginMgrSettings
from webmacs_pluginmgr.tables import channel_mappings, plugin_instances
from webmacs_sdk.keys import DATABASE, HOST
from webmacs_sdk.models import IngestBatch, RejectReason, Transaction


class ActiveEvents:
    """Event public ids mapped to at least one enabled plugin instance."""

    def __init__(self) -> None:
        self.ids: frozenset[str] = frozenset()
        self.expires = 0.0
        self.generation = 0
        self.loads = 0
        self._lock = asyncio.Lock()

    def invalidate(self) -> None:
        self.generation += 1
        self.expires = 0.0

    def invalidate_on_commit(self, tx: Transaction) -> None:
        # Stale at once (a concurrent reload must not keep the old answer) and again after commit.
        self.invalidate()
        tx.after_commit(self.invalidate)

    async def current(self, app: web.Application) -> frozenset[str]:
        if time.monotonic() < self.expires:
            return self.ids
        async with self._lock:
            if time.monotonic() < self.expires:
                return self.ids
            generation = self.generation
            query = (
                sa.select(channel_mappings.c.event_public_id)
                .join(plugin_instances, plugin_instances.c.id == channel_mappings.c.plugin_instance_id)
                .where(plugin_instances.c.enabled.is_(True), channel_mappings.c.event_public_id.is_not(None))
                .distinct()
            )
            async with app[DATABASE].connect() as conn:
                ids = frozenset((await conn.execute(query)).scalars())
            self.loads += 1
            self.ids = ids
            # A change committed while we were reading must not be hidden behind a fresh expiry.
            if generation == self.generation:
                ttl = app[HOST].section(PluginMgrSettings).active_events_ttl_seconds
                self.expires = time.monotonic() + ttl
            return ids


ACTIVE: web.AppKey[ActiveEvents] = web.AppKey("webmacs_pluginmgr.active_events", ActiveEvents)


def active_for(app: web.Application) -> ActiveEvents:
    return app[HOST].state(ACTIVE, ActiveEvents)


async def only_enabled(app: web.Application, batch: IngestBatch) -> None:
    """Ingest filter (order 20): reject datapoints whose event no enabled instance maps."""
    if not batch.event_public_ids:
        return
    ids = await active_for(app).current(app)
    batch.keep((public_id in ids for public_id in batch.event_public_ids), RejectReason.EVENT_DISABLED)
