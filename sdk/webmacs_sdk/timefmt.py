"""Timestamp rendering of the contract: ``Z`` in REST, ``+00:00`` in WebSocket and webhook payloads."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """Attach UTC to naive values (SQLite returns them) and convert aware ones."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def iso_z(value: datetime | None) -> str | None:
    """REST form: ``2025-01-15T14:30:00.123456Z``, microseconds omitted when zero."""
    if value is None:
        return None
    text = as_utc(value).isoformat()
    return text.replace("+00:00", "Z")


def iso_offset(value: datetime | None) -> str | None:
    """WebSocket and webhook form: ``2025-01-15T14:30:00.123456+00:00``."""
    if value is None:
        return None
    return as_utc(value).isoformat()
