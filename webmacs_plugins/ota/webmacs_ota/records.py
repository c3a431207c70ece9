"""The update records: reading, creating, and moving them through the state machine.

Every move is a transition checked by :mod:`.states` and a domain event (``ota.*``) emitted in the
same transaction, which the logs plugin turns into a log entry.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncConnection

from webmacs_ota.events import OtaEvent, OtaFailed, OtaRegistered, OtaRolledBack, OtaStatusChanged
from webmacs_ota.states import UpdateStatus, check_transition
from webmacs_ota.tables import firmware_updates
from webmacs_sdk.db import new_public_id
from webmacs_sdk.errors import Conflict
from webmacs_sdk.keys import HOST
from webmacs_sdk.models import Principal, Transaction
from webmacs_sdk.timefmt import iso_z, utcnow

LABEL = "FirmwareUpdate"

#: The domain event each target status emits (its log level follows from the type).
_EVENT_FOR: dict[UpdateStatus, type[OtaEvent]] = {
    UpdateStatus.FAILED: OtaFailed,
    UpdateStatus.ROLLED_BACK: OtaRolledBack,
}


def to_response(row: Any) -> dict[str, Any]:
    """FirmwareUpdateResponse: ``file_path`` is never shown, only whether a bundle is recorded."""
    return {
        "public_id": row.public_id,
        "version": row.version,
        "changelog": row.changelog,
        "file_hash_sha256": row.file_hash_sha256,
        "file_size_bytes": row.file_size_bytes,
        "status": row.status,
        "error_message": row.error_message,
        "created_on": iso_z(row.created_on),
        "started_on": iso_z(row.started_on),
        "completed_on": iso_z(row.completed_on),
        "user_public_id": row.user_public_id,
        "has_firmware_file": bool(row.file_path),
    }


async def by_public_id(conn: AsyncConnection, public_id: str) -> sa.Row[Any] | None:
    query = sa.select(firmware_updates).where(firmware_updates.c.public_id == public_id)
    return (await conn.execute(query)).first()


async def by_version(conn: AsyncConnection, version: str) -> sa.Row[Any] | None:
    query = sa.select(firmware_updates).where(firmware_updates.c.version == version)
    return (await conn.execute(query)).first()


async def emit(app: web.Application, tx: Transaction, event_type: type[OtaEvent], message: str,
               actor: Principal | None = None, **payload: Any) -> None:
    """One ``ota.*`` domain event; ``message`` is the text of its log entry."""
    await app[HOST].emit(tx, event_type(message=message, details=payload, occurred_at=utcnow(), actor=actor))


async def create(app: web.Application, tx: Transaction, version: str, changelog: str | None,
                 actor: Principal | None, **fields: Any) -> str:
    """Insert a ``pending`` record (the caller checked the version is free)."""
    public_id = new_public_id()
    await tx.conn.execute(sa.insert(firmware_updates).values(
        public_id=public_id, version=version, changelog=changelog, status=UpdateStatus.PENDING,
        created_on=utcnow(), user_public_id=actor.public_id if actor else None, **fields,
    ))
    await emit(app, tx, OtaRegistered, f"OTA update {version} registered.", actor,
               update_id=public_id, version=version)
    return public_id


async def transition(app: web.Application, tx: Transaction, row: Any, new: UpdateStatus, *,
                     actor: Principal | None = None, reason: str | None = None, note: str | None = None,
                     **fields: Any) -> None:
    """Move ``row`` to ``new`` (409 when the state machine forbids it) and log the move.

    ``reason`` is stored as the record's ``error_message`` (failures and rollbacks); ``note``
    only goes into the log entry. Extra ``fields`` are written with the status.
    """
    check_transition(row.status, new)
    now = utcnow()
    values: dict[str, Any] = {"status": new, **fields}
    if new in (UpdateStatus.FAILED, UpdateStatus.ROLLED_BACK):
        values["error_message"] = reason
    elif new is UpdateStatus.PENDING:
        values.update(error_message=None, started_on=None, completed_on=None)
    if new is UpdateStatus.DOWNLOADING or (new is UpdateStatus.COMPLETED and row.started_on is None):
        values.setdefault("started_on", now)
    if new is UpdateStatus.COMPLETED:
        values["completed_on"] = now
    result = await tx.conn.execute(
        sa.update(firmware_updates)
        .where(firmware_updates.c.id == row.id, firmware_updates.c.status == row.status)
        .values(**values)
    )
    if result.rowcount != 1:  # another request moved it first
        current = await by_public_id(tx.conn, row.public_id)
        raise Conflict(f"Cannot transition from '{current.status if current else row.status}' to '{new}'")
    message = f"OTA update {row.version}: {row.status} → {new}."
    if reason:
        message = f"OTA update {row.version}: {row.status} → {new}: {reason}" + (f". {note}" if note else "")
    elif note:
        message = f"{message} {note}"
    await emit(app, tx, _EVENT_FOR.get(new, OtaStatusChanged), message, actor,
               update_id=row.public_id, version=row.version, previous=str(row.status), status=str(new),
               reason=reason)
