"""One-time codes: what the callback hands the browser instead of a token, redeemed once.

Stored as SHA-256 digests in the database, so every server process can redeem a code another
issued, and a copy of the table redeems nothing.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from webmacs_sdk.timefmt import utcnow
from webmacs_sso.logins import digest
from webmacs_sso.tables import sso_codes


async def issue(conn: AsyncConnection, user_id: int, ttl: int) -> str:
    code = secrets.token_urlsafe(48)
    await conn.execute(sa.insert(sso_codes).values(code_hash=digest(code), user_id=user_id,
                                                   expires_on=utcnow() + timedelta(seconds=ttl)))
    return code


async def redeem(conn: AsyncConnection, code: str) -> int | None:
    """The user id of an unexpired, unused ``code``; the code is spent either way."""
    deleted = await conn.execute(
        sa.delete(sso_codes).where(sso_codes.c.code_hash == digest(code))
        .returning(sso_codes.c.user_id, sso_codes.c.expires_on)
    )
    row = deleted.first()
    if row is None or row.expires_on <= utcnow():
        return None
    return int(row.user_id)
