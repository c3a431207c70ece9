"""Token generation and hashing: ``wm_`` + 64 URL-safe characters (48 random bytes)."""

import hashlib
import secrets

PREFIX = "wm_"


def generate() -> str:
    return PREFIX + secrets.token_urlsafe(48)


def digest(token: str) -> str:
    """What is stored: the SHA-256 hex of the full plaintext, prefix included."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
