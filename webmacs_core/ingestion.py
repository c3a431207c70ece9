"""The ingestion pipeline driver: validate, filter chain, one storage transaction, notify after commit."""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from aiohttp import web

from webmacs_sdk.db import is_database_unavailable
from webmacs_sdk.errors import ServiceUnavailable
from webmacs_sdk.hooks import call_hook
from webmacs_sdk.keys import DATABASE, HOST
from webmacs_sdk.models import IngestBatch, IngestResult, RejectReason
from webmacs_sdk.specs import IngestFilterSpec
from webmacs_sdk.timefmt import utcnow

log = logging.getLogger(__name__)


class IngestionPipeline:
    """Drives a batch from the wire to storage; the filters and notifications come from plugins.

    Notifications run in one worker, in batch order, so rule state machines see datapoints
    in the order they were committed; the queue is bounded, and only when it is full does
    ingestion wait for it (back-pressure instead of silent loss).
    """

    def __init__(
        self,
        app: web.Application,
        filters: Sequence[IngestFilterSpec],
        on_datapoints: Any,
        *,
        max_skew: timedelta,
        max_age: timedelta,
        queue_size: int,
    ) -> None:
        self._app = app
        self._filters = sorted(filters, key=lambda f: f.order)
        self._on_datapoints = on_datapoints  # pm.hook.webmacs_on_datapoints
        self._notifies = bool(on_datapoints.get_hookimpls())
        self._max_skew = max_skew
        self._max_age = max_age
        self._queue: asyncio.Queue[IngestBatch | None] = asyncio.Queue(queue_size)
        self.notify_failures = 0

    async def ingest(self, batch: IngestBatch) -> IngestResult:
        now = utcnow()
        batch.received_at = now
        self._validate(batch, now)
        for stage in self._filters:
            await stage.run(self._app, batch)
        storage = self._app[HOST].storage
        if len(batch) == 0 and batch.sequence is None:
            return IngestResult(0, tuple(batch.rejected))
        async def write() -> bool:
            async with self._app[DATABASE].transaction() as tx:
                return await storage.write_batch(tx, batch)

        try:
            # A client that disconnects must not cancel a write half-way: the batch is stored
            # to the end (or rolled back whole), never left in a transaction nobody commits.
            stored = await asyncio.shield(write())
        except Exception as exc:
            if is_database_unavailable(exc):
                raise ServiceUnavailable("Database unavailable, retry later.") from exc
            raise
        if not stored:
            return IngestResult(0, tuple(batch.rejected), duplicate=True)
        if len(batch) and self._notifies:
            await self._queue.put(batch)
        return IngestResult(len(batch), tuple(batch.rejected))

    def _validate(self, batch: IngestBatch, now: Any) -> None:
        isfinite = math.isfinite
        if not all(isfinite(v) for v in batch.values):
            batch.keep((isfinite(v) for v in batch.values), RejectReason.INVALID_VALUE)
        latest, earliest = now + self._max_skew, now - self._max_age
        timestamps = batch.timestamps
        if timestamps and not all(earliest <= t <= latest for t in timestamps):
            batch.keep((earliest <= t <= latest for t in timestamps), RejectReason.INVALID_TIMESTAMP)

    async def run_notifier(self) -> None:
        """The worker that calls ``webmacs_on_datapoints`` for each committed batch."""
        while True:
            batch = await self._queue.get()
            if batch is None:
                return
            outcome = await call_hook(self._on_datapoints, app=self._app, batch=batch)
            self.notify_failures += len(outcome.failures)

    async def drain(self) -> None:
        """Stop the worker after everything queued has been notified."""
        await self._queue.put(None)

    def backlog(self) -> int:
        return self._queue.qsize()
