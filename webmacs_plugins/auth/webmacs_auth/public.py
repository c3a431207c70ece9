"""The auth plugin's public API for other plugins (SSO, the web UI).

Access tokens are issued here and only here, so a token a plugin hands out is exactly what
``POST /auth/login`` hands out: same claims, lifetime, signature and revocation.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiohttp import web

from webmacs_auth import tokens
from webmacs_auth.settings import AuthSettings
from webmacs_sdk.keys import HOST, SETTINGS
from webmacs_sdk.models import Role


async def issue_access_token(app: web.Application, user: Any) -> str:
    """A fresh access token for ``user`` (a row of the users table, as ``webmacs_users.store`` returns)."""
    settings = app[HOST].section(AuthSettings)
    return tokens.issue(user.id, Role(user.role), app[SETTINGS].resolved_secret_key(),
                        settings.jwt_algorithm, timedelta(minutes=settings.access_token_expire_minutes))
