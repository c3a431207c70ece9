"""Disk spool: every telemetry batch lives here until the server acknowledged it.

SQLite in WAL mode: an append or an ack is one small transaction, the file survives crashes and restarts,
and batches come back in sequence order. The spool is bounded by size; when full, the oldest batches are
dropped and counted, because the newest readings matter most after a long outage.
"""

from __future__ import annotations

import logging
import sqlite3
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

log = logging.getLogger("webmacs.controller.spool")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS batches (
    seq INTEGER PRIMARY KEY,
    count INTEGER NOT NULL,
    payload BLOB NOT NULL
);
"""


@dataclass(frozen=True)
class SpooledBatch:
    """One batch waiting for its ack: ``payload`` is the JSON array of its datapoints."""

    seq: int
    count: int
    payload: bytes

    def frame(self) -> bytes:
        """The acknowledged-protocol frame ``{"seq": N, "datapoints": [...]}``."""
        return b'{"seq":%d,"datapoints":%s}' % (self.seq, self.payload)

    def datapoints(self) -> list[dict[str, Any]]:
        """The decoded datapoints."""
        return list(orjson.loads(self.payload))


@dataclass(frozen=True)
class SpoolStats:
    """Counters a user needs to judge data loss."""

    pending_batches: int
    pending_datapoints: int
    size_bytes: int
    dropped_batches: int
    dropped_datapoints: int
    rejected_batches: int
    rejected_datapoints: int
    #: Every datapoint ever spooled (with the dropped and rejected ones: what the server should hold).
    spooled_datapoints: int = 0


class Spool:
    """Durable FIFO of telemetry batches keyed by a per-controller increasing ``seq``."""

    def __init__(self, path: str | Path, max_bytes: int = 256 * 1024 * 1024) -> None:
        self.path = Path(path)
        self.max_bytes = max_bytes
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode survives process crashes; only a power cut may lose the last commits.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self.controller_id = self._meta("controller_id") or self._init_controller_id()
        row = self._db.execute("SELECT COALESCE(SUM(LENGTH(payload)), 0), COUNT(*) FROM batches").fetchone()
        self._size = int(row[0])
        self._pending = int(row[1])

    # ------------------------------------------------------------------ meta counters

    def _meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def _counter(self, key: str) -> int:
        return int(self._meta(key) or 0)

    def _bump(self, key: str, by: int) -> None:
        self._db.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + excluded.value",
            (key, by),
        )

    def _init_controller_id(self) -> str:
        controller_id = str(uuid.uuid4())
        self._db.execute("INSERT INTO meta(key, value) VALUES ('controller_id', ?)", (controller_id,))
        return controller_id

    # ------------------------------------------------------------------ queue

    def append(self, datapoints: list[dict[str, Any]]) -> int:
        """Store a batch and return its sequence number; drops the oldest batches if over the size bound."""
        payload = orjson.dumps(datapoints)
        with self._transaction():
            seq = self._counter("next_seq") + 1
            self._db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('next_seq', ?)", (seq,))
            self._db.execute(
                "INSERT INTO batches(seq, count, payload) VALUES (?, ?, ?)", (seq, len(datapoints), payload)
            )
            self._bump("spooled_datapoints", len(datapoints))
        self._size += len(payload)
        self._pending += 1
        if self._size > self.max_bytes:
            self._enforce_bound()
        return seq

    def _enforce_bound(self) -> None:
        dropped_batches = dropped_points = 0
        with self._transaction():
            for seq, count, size in self._db.execute(
                "SELECT seq, count, LENGTH(payload) FROM batches ORDER BY seq"
            ).fetchall():
                if self._size <= self.max_bytes or self._pending <= 1:
                    break
                self._db.execute("DELETE FROM batches WHERE seq = ?", (seq,))
                self._size -= size
                self._pending -= 1
                dropped_batches += 1
                dropped_points += count
            self._bump("dropped_batches", dropped_batches)
            self._bump("dropped_datapoints", dropped_points)
        log.warning(
            "Spool full (%d bytes max): dropped the %d oldest batches (%d datapoints); %d dropped in total",
            self.max_bytes,
            dropped_batches,
            dropped_points,
            self._counter("dropped_datapoints"),
        )

    def pending(self, after_seq: int = 0, limit: int = 100) -> list[SpooledBatch]:
        """Unacknowledged batches with ``seq > after_seq`` in sequence order."""
        rows = self._db.execute(
            "SELECT seq, count, payload FROM batches WHERE seq > ? ORDER BY seq LIMIT ?", (after_seq, limit)
        ).fetchall()
        return [SpooledBatch(int(s), int(c), bytes(p)) for s, c, p in rows]

    def ack(self, seq: int) -> bool:
        """Forget an acknowledged batch; returns False when it was not (or no longer) spooled."""
        return self._remove(seq) is not None

    def reject(self, seq: int) -> int:
        """Forget a batch the server can never store; it is counted. Returns its datapoint count."""
        count = self._remove(seq, counter="rejected")
        return count or 0

    def _remove(self, seq: int, counter: str | None = None) -> int | None:
        with self._transaction():
            row = self._db.execute(
                "DELETE FROM batches WHERE seq = ? RETURNING count, LENGTH(payload)", (seq,)
            ).fetchone()
            if row is None:
                return None
            if counter:
                self._bump(f"{counter}_batches", 1)
                self._bump(f"{counter}_datapoints", int(row[0]))
        self._size -= int(row[1])
        self._pending -= 1
        return int(row[0])

    @property
    def pending_count(self) -> int:
        """Number of unacknowledged batches."""
        return self._pending

    def stats(self) -> SpoolStats:
        """Current counters."""
        points = self._db.execute("SELECT COALESCE(SUM(count), 0) FROM batches").fetchone()[0]
        return SpoolStats(
            pending_batches=self._pending,
            pending_datapoints=int(points),
            size_bytes=self._size,
            dropped_batches=self._counter("dropped_batches"),
            dropped_datapoints=self._counter("dropped_datapoints"),
            rejected_batches=self._counter("rejected_batches"),
            rejected_datapoints=self._counter("rejected_datapoints"),
            spooled_datapoints=self._counter("spooled_datapoints"),
        )

    def close(self) -> None:
        """Close the database (checkpointing the WAL)."""
        self._db.close()

    def _transaction(self) -> _Tx:
        return _Tx(self._db)


class _Tx:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` / ``ROLLBACK`` for an autocommit connection."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._db.execute("ROLLBACK" if exc_type else "COMMIT")
