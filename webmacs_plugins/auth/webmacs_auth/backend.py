"""The ``jwt`` auth backend: revocation, signature and expiry, then the user re-loaded from the database."""

from __future__ import annotations

import sqlalchemy as sa
from aiohttp import web

from webmacs_auth import tokens
from webmacs_auth.settings import AuthSettings
from webmacs_auth.tables import blacklist_tokens
from webmacs_sdk.errors import AuthenticationFailed
from webmacs_sdk.keys import DATABASE, HOST, SETTINGS
from webmacs_sdk.models import Principal
from webmacs_users import store

#: Credentials with this prefix belong to the API-token backend.
API_TOKEN_PREFIX = "wm_"

REVOKED = AuthenticationFailed("Token has been revoked.", "Token has been revoked")
INVALID = AuthenticationFailed("Invalid or expired token.", "Invalid or expired token")
NO_USER = AuthenticationFailed("User not found.", "User not found")


class JwtBackend:
    """Checks HS256 (or the configured algorithm) bearer tokens issued by ``/auth/login``."""

    def __init__(self, app: web.Application) -> None:
        self.app = app

    async def authenticate(self, request: web.Request, credential: str) -> Principal | None:
        if credential.startswith(API_TOKEN_PREFIX):
            return None
        settings = self.app[HOST].section(AuthSettings)
        key = self.app[SETTINGS].resolved_secret_key()
        user_id = tokens.decode(credential, key, settings.jwt_algorithm)
        async with self.app[DATABASE].connect() as conn:
            revoked = await conn.execute(
                sa.select(blacklist_tokens.c.id).where(blacklist_tokens.c.token == tokens.fingerprint(credential))
            )
            is_revoked = revoked.first() is not None
            # REST reports revocation first; the WebSocket handshake reports a bad token first
            # (contract §1.1 and §3.2).
            if is_revoked and (user_id is not None or not _is_websocket(request)):
                raise REVOKED
            if user_id is None:
                raise INVALID
            row = await store.by_id(conn, user_id)
        if row is None:
            raise NO_USER
        return store.principal(row, credential, "jwt")


def _is_websocket(request: web.Request) -> bool:
    return request.headers.get("Upgrade", "").lower() == "websocket"
