"""Writing log entries: the public module other plugins may use (most use domain events instead)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from webmacs_logs.tables import log_entries
from webmacs_sdk.db import new_public_id
from webmacs_sdk.timefmt import iso_z, utcnow

MAX_CONTENT = 500


async def write_entry(conn: AsyncConnection, content: str, logging_type: str, user_public_id: str) -> str:
    """Insert one entry in the caller's transaction; content longer than 500 chars is shortened."""
    if len(content) > MAX_CONTENT:
        content = content[: MAX_CONTENT - 1] + "…"
    public_id = new_public_id()
    await conn.execute(sa.insert(log_entries).values(
        public_id=public_id, content=content, logging_type=logging_type, status_type="unread",
        created_on=utcnow(), user_public_id=user_public_id,
    ))
    return public_id


async def by_public_id(conn: AsyncConnection, public_id: str) -> sa.Row[Any] | None:
    return (await conn.execute(sa.select(log_entries).where(log_entries.c.public_id == public_id))).first()


def to_response(row: Any) -> dict[str, Any]:
    return {
        "public_id": row.public_id,
        "content": row.content,
        "logging_type": row.logging_type,
        "status_type": row.status_type,
        "created_on": iso_z(row.created_on),
        "user_public_id": row.user_public_id,
    }
