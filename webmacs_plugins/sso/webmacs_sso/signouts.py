"""RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): signing out of a web UI session that
began with an SSO sign-in also ends the session at the identity provider.

At sign-in the ID token is kept, found by the digest of a random reference in an HttpOnly cookie and
tied to the digest of the WebMACS session it began. Signing that session out marks the row
(``webmacs_on_logout``); the browser then comes to ``/api/v1/auth/sso/logout``, which hands the ID
token to the IdP's ``end_session_endpoint`` as ``id_token_hint``. Only a session really signed out
goes there, so a link from elsewhere cannot sign anybody out of the IdP.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from urllib.parse import urlencode

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from webmacs_sdk.timefmt import utcnow
from webmacs_sso.logins import digest
from webmacs_sso.tables import sso_sessions

COOKIE = "webmacs_sso_session"
SECURE_COOKIE = "__Host-webmacs_sso_session"


async def remember(conn: AsyncConnection, *, session_token: str, id_token: str, lifetime: timedelta) -> str:
    """Keep ``id_token`` for the session ``session_token``; returns the reference for the cookie."""
    reference = secrets.token_urlsafe(32)
    now = utcnow()
    await conn.execute(sa.delete(sso_sessions).where(sso_sessions.c.expires_on < now))
    await conn.execute(sa.insert(sso_sessions).values(
        reference_hash=digest(reference), session_hash=digest(session_token), id_token=id_token,
        signed_out=False, expires_on=now + lifetime))
    return reference


async def mark_signed_out(conn: AsyncConnection, session_token: str) -> None:
    """The WebMACS session ``session_token`` was signed out: its IdP session may now end too."""
    if session_token:
        await conn.execute(sa.update(sso_sessions).where(sso_sessions.c.session_hash == digest(session_token))
                           .values(signed_out=True))


async def take(conn: AsyncConnection, reference: str | None) -> str | None:
    """The ID token of the signed-out session ``reference`` names, once; ``None`` for a session still
    signed in (left as it is), an expired one or an unknown reference."""
    if not reference:
        return None
    deleted = await conn.execute(
        sa.delete(sso_sessions)
        .where(sso_sessions.c.reference_hash == digest(reference), sso_sessions.c.signed_out.is_(True))
        .returning(sso_sessions.c.id_token, sso_sessions.c.expires_on)
    )
    row = deleted.first()
    if row is None or row.expires_on <= utcnow():
        return None
    return str(row.id_token)


def end_session_url(endpoint: str, *, id_token: str, client_id: str, post_logout_redirect_uri: str) -> str:
    """The IdP's end-session URL with the hint and where the IdP sends the browser back."""
    query = urlencode({"id_token_hint": id_token, "post_logout_redirect_uri": post_logout_redirect_uri,
                       "client_id": client_id})
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"
