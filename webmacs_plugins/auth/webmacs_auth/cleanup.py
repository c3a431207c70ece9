"""Purges revocations older than the token lifetime: such tokens are expired anyway."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import sqlalchemy as sa
from aiohttp import web

from webmacs_auth.settings import AuthSettings
from webmacs_auth.tables import blacklist_tokens
from webmacs_sdk.keys import DATABASE, HOST
from webmacs_sdk.timefmt import utcnow

log = logging.getLogger(__name__)


async def purge_expired(app: web.Application) -> int:
    settings = app[HOST].section(AuthSettings)
    cutoff = utcnow() - timedelta(minutes=settings.access_token_expire_minutes)
    async with app[DATABASE].transaction() as tx:
        result = await tx.conn.execute(sa.delete(blacklist_tokens).where(blacklist_tokens.c.blacklisted_on < cutoff))
    return int(result.rowcount or 0)


async def _loop(app: web.Application, interval: float) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            removed = await purge_expired(app)
            if removed:
                log.info("purged %d expired token revocations", removed)
        except Exception:
            log.exception("purging token revocations failed; retrying later")


async def cleanup_ctx(app: web.Application) -> AsyncIterator[None]:
    interval = app[HOST].section(AuthSettings).blacklist_cleanup_seconds
    task = app[HOST].spawn(_loop(app, interval), name="auth.blacklist-cleanup")
    yield
    task.cancel()
