"""JWT issue and verification (PyJWT), with the algorithm pinned and every claim required."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import jwt

from webmacs_sdk.models import Role
from webmacs_sdk.timefmt import utcnow


def issue(user_id: int, role: Role, key: str, algorithm: str, lifetime: timedelta) -> str:
    now = utcnow()
    claims = {"sub": str(user_id), "role": role.value, "iat": int(now.timestamp()),
              "exp": int((now + lifetime).timestamp())}
    return jwt.encode(claims, key, algorithm=algorithm)


def decode(token: str, key: str, algorithm: str) -> int | None:
    """The user id of a valid token, ``None`` for anything tampered, expired or malformed."""
    try:
        claims = jwt.decode(token, key, algorithms=[algorithm], options={"require": ["exp", "iat", "sub"]})
        return int(claims["sub"])
    except (jwt.PyJWTError, ValueError, TypeError):
        return None


def fingerprint(token: str) -> str:
    """What the revocation table stores: the SHA-256 hex of the raw token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
