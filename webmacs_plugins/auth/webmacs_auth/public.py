"""The auth plugin's public API for other plugins (SSO, the web UI).

Access tokens are issued here and only here, so a token a plugin hands out is exactly what
``POST /auth/login`` hands out: same claims, lifetime, signature and revocation; a browser session
is the same token in the cookie ``POST /auth/session`` sets.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiohttp import web

from webmacs_auth import tokens
from webmacs_auth.settings import AuthSettings
from webmacs_sdk.keys import HOST, SETTINGS
from webmacs_sdk.models import Role
from webmacs_sdk.sessions import SESSION_COOKIE, csrf_token
from webmacs_sdk.web import is_https


async def issue_access_token(app: web.Application, user: Any) -> str:
    """A fresh access token for ``user`` (a row of the users table, as ``webmacs_users.public`` returns)."""
    settings = app[HOST].section(AuthSettings)
    return tokens.issue(user.id, Role(user.role), user.token_epoch, app[SETTINGS].resolved_secret_key(),
                        algorithm=settings.jwt_algorithm,
                        lifetime=timedelta(minutes=settings.access_token_expire_minutes))


def session_lifetime(app: web.Application) -> timedelta:
    """How long an access token, and so a browser session, lives."""
    return timedelta(minutes=app[HOST].section(AuthSettings).access_token_expire_minutes)


def set_browser_session(request: web.Request, response: web.StreamResponse, token: str) -> str:
    """Make ``token`` the browser's session on ``response`` (HttpOnly, SameSite=Lax, Secure over
    https, also behind a trusted proxy that terminates it, living as long as the token); returns
    the session's CSRF token."""
    minutes = request.app[HOST].section(AuthSettings).access_token_expire_minutes
    secure = is_https(request, request.app[SETTINGS].trusted_proxies)
    response.set_cookie(SESSION_COOKIE, token, path="/", httponly=True, samesite="Lax", secure=secure,
                        max_age=minutes * 60)
    return csrf_token(request.app[SETTINGS].resolved_secret_key(), token)


__all__ = ["issue_access_token", "session_lifetime", "set_browser_session"]
