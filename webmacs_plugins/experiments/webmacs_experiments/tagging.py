"""The ingestion stage that tags a batch with the running experiment, from a small cache.

Starting, stopping and deleting an experiment invalidate the app's cache after commit
(:func:`invalidate`); the short lifetime covers other server processes sharing the database, and
a batch with ``recheck`` set (a retry after a stale reference) always asks the database.
"""

from __future__ import annotations

import time

import sqlalchemy as sa
from aiohttp import web

from webmacs_experiments.tables import experiments
from webmacs_sdk.keys import DATABASE, HOST
from webmacs_sdk.models import IngestBatch

#: Seconds the running experiment is trusted without asking the database again.
TTL_SECONDS = 2.0


class RunningCache:
    """The running experiment's ``(id, public_id)``, or None, with its expiry."""

    def __init__(self) -> None:
        self.value: tuple[int, str] | None = None
        self.expires = 0.0
        #: Bumped by every invalidation; an answer asked for under an older generation is not kept.
        self.generation = 0

    def invalidate(self) -> None:
        """Ask the database again next time."""
        self.generation += 1
        self.expires = 0.0

    async def get(self, app: web.Application, *, recheck: bool = False) -> tuple[int, str] | None:
        if not recheck and time.monotonic() < self.expires:
            return self.value
        generation = self.generation
        query = (
            sa.select(experiments.c.id, experiments.c.public_id)
            .where(experiments.c.stopped_on.is_(None))
            .order_by(experiments.c.id)
            .limit(1)
        )
        async with app[DATABASE].connect() as conn:
            row = (await conn.execute(query)).first()
        value = None if row is None else (int(row[0]), str(row[1]))
        if generation == self.generation:
            self.value = value
            self.expires = time.monotonic() + TTL_SECONDS
        return value


RUNNING: web.AppKey[RunningCache] = web.AppKey("webmacs_experiments.running", RunningCache)


def invalidate(app: web.Application) -> None:
    """The running experiment changed: the app's cache asks the database again."""
    app[HOST].state(RUNNING, RunningCache).invalidate()


async def tag_batch(app: web.Application, batch: IngestBatch) -> None:
    """Ingest filter (order 30): ``experiment_id``/``experiment_public_id`` of the running experiment."""
    if not len(batch):
        return
    current = await app[HOST].state(RUNNING, RunningCache).get(app, recheck=batch.recheck)
    if current is None:
        batch.experiment_id = batch.experiment_public_id = None
    else:
        batch.experiment_id, batch.experiment_public_id = current
