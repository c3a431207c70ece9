"""From wire items to the core's ingestion pipeline: parsing, and a retry when an event or
experiment vanished between resolution and storage."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from sqlalchemy import exc as sa_exc

from webmacs_datapoints.storage import StaleReference
from webmacs_sdk.db import is_unique_violation
from webmacs_sdk.keys import HOST
from webmacs_sdk.models import IngestBatch, IngestResult, Principal
from webmacs_sdk.timefmt import utcnow

MAX_BATCH = 500
MAX_ID_LENGTH = 100


class Columns:
    """Datapoints parsed from a frame, column-wise, plus how many items were unusable."""

    __slots__ = ("event_public_ids", "skipped", "timestamps", "values")

    def __init__(self) -> None:
        self.event_public_ids: list[str] = []
        self.values: list[float] = []
        self.timestamps: list[datetime] = []
        self.skipped = 0

    def __len__(self) -> int:
        return len(self.values)


def to_float(value: Any) -> float | None:
    """A finite float from a JSON number or numeric string; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        number = value
    elif isinstance(value, (int, str)):
        try:
            number = float(value)
        except (ValueError, OverflowError):
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def to_timestamp(value: Any) -> datetime | None:
    """An aware UTC datetime from an ISO-8601 string (naive means UTC); None if unusable."""
    if not isinstance(value, str) or len(value) > 40 or "\x00" in value:
        # fromisoformat ignores what follows a NUL character; such a string is malformed.
        return None
    try:
        parsed = datetime.fromisoformat(value)
        # 0001-01-01T00:00:00+14:00 lies before the year 1 in UTC: no datetime can hold it.
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def parse_items(items: Sequence[Any], now: datetime | None = None) -> Columns:
    """Keep the usable items: an object with a string ``event_public_id`` and a finite ``value``
    (numeric strings accepted); an optional ``timestamp`` extension, else one server time.

    An unusable item is skipped and counted: a permanent rejection of that item alone, so one bad
    datapoint never fails (or holds back) the rest of its batch. An id with a NUL character names
    no event and could not even be looked up on PostgreSQL."""
    now = now or utcnow()
    columns = Columns()
    ids, values, stamps = columns.event_public_ids, columns.values, columns.timestamps
    for item in items:
        if type(item) is not dict:
            columns.skipped += 1
            continue
        event = item.get("event_public_id")
        raw = item.get("value")
        value = raw if type(raw) is float and math.isfinite(raw) else to_float(raw)
        if value is None or type(event) is not str or not event or len(event) > MAX_ID_LENGTH or "\x00" in event:
            columns.skipped += 1
            continue
        stamp = item.get("timestamp")
        if stamp is None:
            when = now
        else:
            parsed = to_timestamp(stamp)
            if parsed is None:
                columns.skipped += 1
                continue
            when = parsed
        ids.append(event)
        values.append(value)
        stamps.append(when)
    return columns


def _is_stale_reference(exc: BaseException) -> bool:
    """The batch named an event or experiment that was deleted after it was resolved."""
    if isinstance(exc, StaleReference) or type(exc).__name__ == "ForeignKeyViolationError":
        return True
    if isinstance(exc, sa_exc.IntegrityError) and not is_unique_violation(exc):
        return "foreign key" in str(exc.orig).lower()
    return False


async def ingest(
    app: web.Application,
    columns: Columns,
    *,
    source_id: str | None = None,
    sequence: int | None = None,
    principal: Principal | None = None,
) -> IngestResult:
    """Run the core pipeline; if an event or experiment was deleted between resolution and
    storage, run it again with ``recheck`` (the filters ask the database, not their caches)."""
    host = app[HOST]
    for attempt in range(3):
        batch = IngestBatch(
            list(columns.event_public_ids), list(columns.values), list(columns.timestamps),
            source_id=source_id, sequence=sequence, principal=principal, recheck=attempt > 0,
        )
        try:
            return await host.ingest(batch)
        except Exception as exc:
            if attempt == 2 or not _is_stale_reference(exc):
                raise
    raise AssertionError("unreachable")
