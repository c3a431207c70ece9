"""The ``jwt`` auth backend: signature, revocation (by the token's ``jti``) and expiry, then the user
re-loaded from the database, whose token epoch must still be the token's."""

from __future__ import annotations

import sqlalchemy as sa
from aiohttp import web

import webmacs_users as users_api
from webmacs_auth import tokens
from webmacs_auth.settings import AuthSettings
from webmacs_auth.tables import blacklist_tokens
from webmacs_sdk.errors import AuthenticationFailed
from webmacs_sdk.keys import DATABASE, HOST, SETTINGS
from webmacs_sdk.models import Principal

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
        claims = tokens.decode(credential, key, settings.jwt_algorithm)
        if claims is None:
            raise INVALID
        async with self.app[DATABASE].connect() as conn:
            revoked = await conn.execute(
                sa.select(blacklist_tokens.c.id).where(blacklist_tokens.c.token == claims.jti)
            )
            # REST reports revocation first; the WebSocket handshake reports an expired token first
            # (contract §1.1 and §3.2).
            if revoked.first() is not None and not (claims.expired and _is_websocket(request)):
                raise REVOKED
            if claims.expired:
                raise INVALID
            row = await users_api.by_id(conn, claims.user_id)
        if row is None:
            raise NO_USER
        if row.token_epoch != claims.epoch:
            # Issued before the password or the role changed.
            raise INVALID
        return users_api.principal(row, credential, "jwt", credential_id=claims.jti)


def _is_websocket(request: web.Request) -> bool:
    return request.headers.get("Upgrade", "").lower() == "websocket"
