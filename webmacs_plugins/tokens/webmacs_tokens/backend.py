"""The ``api_token`` auth backend: ``wm_`` tokens looked up by hash, owner's current role applies."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from aiohttp import web

import webmacs_users as users_api
from webmacs_sdk.errors import AuthenticationFailed
from webmacs_sdk.keys import DATABASE
from webmacs_sdk.models import Principal
from webmacs_sdk.timefmt import utcnow
from webmacs_tokens.secrets import PREFIX, digest
from webmacs_tokens.tables import api_tokens

#: ``last_used_at`` is written at most this often per token, so reads stay reads.
TOUCH_INTERVAL = timedelta(seconds=30)


class ApiTokenBackend:
    """Accepts ``wm_`` credentials; anything else is left to the next backend."""

    def __init__(self, app: web.Application) -> None:
        self.app = app

    async def authenticate(self, request: web.Request, credential: str) -> Principal | None:
        if not credential.startswith(PREFIX):
            return None
        db = self.app[DATABASE]
        async with db.connect() as conn:
            token = (await conn.execute(
                sa.select(api_tokens).where(api_tokens.c.token_hash == digest(credential))
            )).first()
            if token is None:
                raise AuthenticationFailed("Invalid API token.", "Invalid API token")
            now = utcnow()
            if token.expires_at is not None and token.expires_at <= now:
                raise AuthenticationFailed("API token has expired.", "API token expired")
            owner = await users_api.by_id(conn, token.user_id)
        if owner is None:
            raise AuthenticationFailed("Token owner not found.", "User not found")
        if token.last_used_at is None or now - token.last_used_at >= TOUCH_INTERVAL:
            async with db.transaction() as tx:
                await tx.conn.execute(sa.update(api_tokens).where(api_tokens.c.id == token.id).values(last_used_at=now))
        return users_api.principal(owner, credential, "api_token", token.public_id)
