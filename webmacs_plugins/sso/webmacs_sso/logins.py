"""Sign-ins in progress: PKCE verifier, nonce, the signed ``state`` and its browser binding.

``/authorize`` stores one row (verifier and nonce never travel through the browser) and hands
the browser a random binding in an HttpOnly cookie; the ``state`` it sends to the IdP is a
short-lived HS256 JWT naming the row. ``/callback`` deletes the row as it reads it, so a state
works once, and only in the browser that started the sign-in (no login CSRF).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from datetime import timedelta

import attrs
import sqlalchemy as sa
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey
from sqlalchemy.ext.asyncio import AsyncConnection

from webmacs_sdk.timefmt import utcnow
from webmacs_sso.tables import sso_codes, sso_logins

#: The cookie binding a sign-in to the browser that started it. Over https it is a ``__Host-``
#: cookie, which no sibling subdomain can plant (a planted binding would allow login CSRF).
BINDING_COOKIE = "webmacs_sso"
SECURE_BINDING_COOKIE = "__Host-webmacs_sso"
_BINDING = re.compile(r"[A-Za-z0-9_-]{43}")
#: ``iss`` of the state JWT (contract §1.4).
STATE_ISSUER = "webmacs-sso"


@attrs.frozen
class Started:
    """What ``/authorize`` sends: the state, the nonce and the PKCE challenge."""

    state: str
    nonce: str
    code_challenge: str


@attrs.frozen
class Pending:
    """What the callback needs of a sign-in it found."""

    code_verifier: str
    nonce: str
    #: A local path when the web UI started the sign-in, else ``None`` (the contract's JSON flow).
    return_to: str | None = None


def digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def s256_challenge(verifier: str) -> str:
    """RFC 7636 §4.2: BASE64URL(SHA256(verifier)) without padding."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode("ascii")


def new_binding() -> str:
    return secrets.token_urlsafe(32)


def usable_binding(value: str | None) -> str | None:
    """``value`` if it has the shape of a binding this server made (43 URL-safe characters)."""
    return value if value is not None and _BINDING.fullmatch(value) else None


def _state_key(secret_key: str) -> OctKey:
    return OctKey.import_key(hashlib.sha256(b"webmacs-sso-state:" + secret_key.encode()).digest())


async def start(conn: AsyncConnection, *, binding: str, secret_key: str, ttl: int,
                return_to: str | None = None) -> Started:
    """Record a new sign-in for the browser holding ``binding``; expired ones are purged."""
    now = utcnow()
    await conn.execute(sa.delete(sso_logins).where(sso_logins.c.expires_on < now))
    await conn.execute(sa.delete(sso_codes).where(sso_codes.c.expires_on < now))
    state_id = secrets.token_urlsafe(32)
    nonce = secrets.token_urlsafe(24)
    verifier = secrets.token_urlsafe(64)  # 86 characters of the unreserved set (RFC 7636 §4.1)
    await conn.execute(sa.insert(sso_logins).values(
        state_id=state_id, browser_hash=digest(binding), code_verifier=verifier, nonce=nonce,
        expires_on=now + timedelta(seconds=ttl), return_to=return_to))
    issued = int(time.time())
    claims = {"iss": STATE_ISSUER, "jti": state_id, "nonce": nonce, "iat": issued, "exp": issued + ttl}
    state = jwt.encode({"alg": "HS256"}, claims, _state_key(secret_key))
    return Started(state=state, nonce=nonce, code_challenge=s256_challenge(verifier))


def state_id(state: str, secret_key: str) -> str | None:
    """The sign-in a state names, if it carries this server's valid, unexpired signature."""
    try:
        token = jwt.decode(state, _state_key(secret_key), algorithms=["HS256"])
        jwt.JWTClaimsRegistry(iss={"essential": True, "value": STATE_ISSUER}, jti={"essential": True},
                              exp={"essential": True}).validate(token.claims)
    except (JoseError, ValueError, TypeError):
        return None
    found = token.claims.get("jti")
    return found if isinstance(found, str) else None


async def take(conn: AsyncConnection, state_id: str, binding: str | None) -> Pending | None:
    """Consume the sign-in ``state_id``: found, unexpired and started by this browser, or ``None``.

    The row is deleted whatever the outcome, so a state that was shown to anyone else is dead.
    """
    deleted = await conn.execute(
        sa.delete(sso_logins).where(sso_logins.c.state_id == state_id)
        .returning(sso_logins.c.browser_hash, sso_logins.c.code_verifier, sso_logins.c.nonce,
                   sso_logins.c.expires_on, sso_logins.c.return_to)
    )
    row = deleted.first()
    if row is None or row.expires_on <= utcnow() or not binding:
        return None
    if not hmac.compare_digest(row.browser_hash, digest(binding)):
        return None
    return Pending(code_verifier=row.code_verifier, nonce=row.nonce, return_to=row.return_to)
