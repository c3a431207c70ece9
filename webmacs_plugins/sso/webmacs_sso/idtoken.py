"""ID token validation (OIDC Core §3.1.3.7) with joserfc: signature against the IdP's JWKS,
then ``iss``, ``aud`` (and ``azp``), ``exp``, ``iat``, ``sub`` and the sign-in's ``nonce``."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import attrs
from joserfc import jws, jwt
from joserfc.errors import (
    BadSignatureError,
    ClaimError,
    ExpiredTokenError,
    InvalidKeyIdError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import KeySet

#: Public-key algorithms only: an HMAC-signed ID token would be keyed with the client secret,
#: which several parties may know, and ``none`` is never acceptable.
ASYMMETRIC_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
                                   "ES256", "ES384", "ES512", "EdDSA", "Ed25519"})

_CLAIM_REASONS = {"iss": "wrong issuer", "aud": "wrong audience", "nonce": "wrong nonce",
                  "iat": "issued in the future", "nbf": "not valid yet", "sub": "bad subject",
                  "exp": "bad expiry"}


class InvalidIdToken(Exception):
    """The ID token must not be trusted; ``reason`` says why in a few words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@attrs.frozen
class Expectations:
    """What a valid ID token of this sign-in says."""

    issuer: str
    client_id: str
    nonce: str
    #: The IdP's advertised algorithms; only the asymmetric ones among them are accepted.
    algorithms: tuple[str, ...]
    leeway: int = 60

    def allowed_algorithms(self) -> list[str]:
        allowed = [alg for alg in self.algorithms if alg in ASYMMETRIC_ALGORITHMS]
        return allowed or ["RS256"]


KeyLookup = Callable[[str | None], Awaitable[KeySet]]


async def validate(id_token: str, expect: Expectations, keys_for: KeyLookup) -> dict[str, Any]:
    """The claims of ``id_token`` once every check passed.

    ``keys_for(kid)`` returns the IdP's key set, refetched when ``kid`` is new to it.

    :raises InvalidIdToken: on the first failed check.
    """
    try:
        header = jws.extract_compact(id_token.encode("ascii")).headers()
    except (JoseError, ValueError, UnicodeError):
        raise InvalidIdToken("malformed") from None
    allowed = expect.allowed_algorithms()
    if header.get("alg") not in allowed:
        raise InvalidIdToken(f"signing algorithm {str(header.get('alg'))[:20]!r} not allowed")
    kid = header.get("kid")
    keys = await keys_for(kid if isinstance(kid, str) else None)
    try:
        token = jwt.decode(id_token, keys, algorithms=allowed)
    except InvalidKeyIdError:
        raise InvalidIdToken("unknown signing key") from None
    except BadSignatureError:
        raise InvalidIdToken("bad signature") from None
    except (JoseError, ValueError):
        raise InvalidIdToken("malformed") from None
    claims = dict(token.claims)
    registry = jwt.JWTClaimsRegistry(
        now=lambda: int(time.time()),
        leeway=expect.leeway,
        iss={"essential": True, "value": expect.issuer},
        sub={"essential": True},
        aud={"essential": True, "value": expect.client_id},
        exp={"essential": True},
        iat={"essential": True},
        nonce={"essential": True, "value": expect.nonce},
    )
    try:
        registry.validate(claims)
    except ExpiredTokenError:
        raise InvalidIdToken("expired") from None
    except MissingClaimError as exc:
        raise InvalidIdToken(f"missing {exc.claim}") from None
    except ClaimError as exc:
        raise InvalidIdToken(_CLAIM_REASONS.get(exc.claim, f"bad {exc.claim}")) from None
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    # §3.1.3.7 (4, 5): with several audiences the token must name this client as its holder.
    if (len(audiences) > 1 or "azp" in claims) and claims.get("azp") != expect.client_id:
        raise InvalidIdToken("wrong authorized party")
    return claims
