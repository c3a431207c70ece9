"""The ``sql`` storage backend: binary COPY on PostgreSQL, executemany on SQLite.

The idempotency row of a sequenced batch is written first, in the same transaction as the
datapoints: a replayed ``(source_id, sequence)`` conflicts there and nothing is stored twice.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC
from typing import Any

import sqlalchemy as sa
from aiohttp import web

from webmacs_datapoints.tables import telemetry_batches
from webmacs_sdk.keys import DATABASE
from webmacs_sdk.models import IngestBatch, Transaction
from webmacs_sdk.timefmt import utcnow

_COLUMNS = ("timestamp", "value", "event_id", "experiment_id")
_PG_MARK = (
    "INSERT INTO telemetry_batches (source_id, seq, received_on) VALUES ($1, $2, $3) "
    "ON CONFLICT DO NOTHING"
)
# The batch's events and experiment, locked as a foreign key's row checks would, but once per
# batch: a deletion waits for this transaction, and then removes these rows too (the events and
# experiments plugins delete the rows of ``datapoints`` right after their own).
_PG_LOCK = """
SELECT (SELECT count(*) FROM (SELECT FROM events WHERE id = ANY($1::int[]) FOR KEY SHARE) e),
       (SELECT count(*) FROM (SELECT FROM experiments WHERE id = $2 FOR KEY SHARE) x)
"""
_SQLITE_INSERT = 'INSERT INTO datapoints ("timestamp", value, event_id, experiment_id) VALUES (?, ?, ?, ?)'
_SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"


def sqlite_time(value: Any) -> str:
    """The text form SQLAlchemy's SQLite DateTime stores (UTC, naive), so both paths agree."""
    return str(value.astimezone(UTC).strftime(_SQLITE_TIME))


class StaleReference(Exception):
    """An event or experiment of the batch was deleted after ingestion resolved it."""


class SqlStorage:
    """Writes batches through the pipeline's transaction connection."""

    def __init__(self, is_postgres: bool) -> None:
        self.is_postgres = is_postgres

    async def write_batch(self, tx: Transaction, batch: IngestBatch) -> bool:
        if self.is_postgres:
            return await self._write_postgres(tx, batch)
        return await self._write_sqlite(tx, batch)

    async def _write_postgres(self, tx: Transaction, batch: IngestBatch) -> bool:
        raw = await tx.conn.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None
        adapter: Any = raw.dbapi_connection
        if getattr(adapter, "_transaction", None) is None:
            # SQLAlchemy's asyncpg adapter sends BEGIN lazily with its first statement; the raw
            # COPY below must run inside the transaction SQLAlchemy will commit, so start it
            # now. A server-side transaction SQLAlchemy does not know of (left by a cancelled
            # task) would never be committed: roll it back first, never write into it.
            if driver.is_in_transaction():
                await driver.execute("ROLLBACK")
            await adapter._start_transaction()
        if batch.source_id is not None and batch.sequence is not None:
            status = await driver.execute(_PG_MARK, batch.source_id, batch.sequence, utcnow())
            if status.endswith(" 0"):
                return False
        if len(batch):
            experiment = batch.experiment_id
            events = list(set(batch.event_ids))
            found_events, found_experiments = await driver.fetchrow(_PG_LOCK, events, experiment)
            if found_events < len(events) or found_experiments < (experiment is not None):
                raise StaleReference("an event or experiment of the batch was deleted meanwhile")
            records = [
                (ts, value, event, experiment)
                for ts, value, event in zip(batch.timestamps, batch.values, batch.event_ids, strict=True)
            ]
            await driver.copy_records_to_table("datapoints", records=records, columns=_COLUMNS)
        return True

    async def _write_sqlite(self, tx: Transaction, batch: IngestBatch) -> bool:
        conn = tx.conn
        if batch.source_id is not None and batch.sequence is not None:
            result = await conn.execute(
                sa.insert(telemetry_batches)
                .prefix_with("OR IGNORE")
                .values(source_id=batch.source_id, seq=batch.sequence, received_on=utcnow())
            )
            if not result.rowcount:
                return False
        if len(batch):
            experiment = batch.experiment_id
            rows = [
                (sqlite_time(ts), value, event, experiment)
                for ts, value, event in zip(batch.timestamps, batch.values, batch.event_ids, strict=True)
            ]
            await conn.exec_driver_sql(_SQLITE_INSERT, rows)
        return True


@asynccontextmanager
async def open_sql_storage(app: web.Application) -> AsyncIterator[SqlStorage]:
    """Storage backend factory (``StorageBackendSpec("sql", open_sql_storage)``)."""
    yield SqlStorage(app[DATABASE].is_postgres)
