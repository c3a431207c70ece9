"""JWT issue and verification (PyJWT), with the algorithm pinned and every claim required.

Each token carries ``jti``, its identity: revocation is keyed on it, never on the token's text, so
a revoked token spelled differently (base64 padding appended, say) is still the revoked token. ``ep``
is the user's token epoch at issue time; changing a password or a role advances the epoch, and
every token issued before stops working.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

import attrs
import jwt

from webmacs_sdk.models import Role
from webmacs_sdk.timefmt import utcnow

#: Claims a token must carry; one without ``jti`` or ``ep`` (issued before they existed) is refused.
REQUIRED_CLAIMS = ["exp", "iat", "sub", "jti", "ep"]


@attrs.frozen
class Claims:
    """What a correctly signed token says about itself."""

    user_id: int
    jti: str
    epoch: int
    expired: bool


def issue(user_id: int, role: Role, epoch: int, key: str, *, algorithm: str, lifetime: timedelta) -> str:
    now = utcnow()
    claims = {"sub": str(user_id), "role": role.value, "iat": int(now.timestamp()),
              "exp": int((now + lifetime).timestamp()), "jti": secrets.token_urlsafe(16), "ep": epoch}
    return jwt.encode(claims, key, algorithm=algorithm)


def decode(token: str, key: str, algorithm: str) -> Claims | None:
    """The claims of a correctly signed token, expired or not; ``None`` for anything tampered or malformed.

    Expiry is reported rather than refused here, so that a revoked token can be told apart from an
    expired one in the order the contract gives (REST reports revocation first).
    """
    try:
        claims = jwt.decode(token, key, algorithms=[algorithm],
                            options={"require": REQUIRED_CLAIMS, "verify_exp": False})
        user_id, jti, epoch = int(claims["sub"]), claims["jti"], claims["ep"]
        exp = claims["exp"]
    except (jwt.PyJWTError, ValueError, TypeError):
        return None
    if not isinstance(jti, str) or not 0 < len(jti) <= 100 or type(epoch) is not int or type(exp) is not int:
        return None
    return Claims(user_id=user_id, jti=jti, epoch=epoch, expired=exp <= int(utcnow().timestamp()))
