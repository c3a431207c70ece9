"""Webhook secrets at rest: Fernet (AES-128-CBC + HMAC-SHA256) under a key derived from the
server's secret key, so a database dump alone does not reveal them (contract §4.4, BEAT)."""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken

_PREFIX = "fernet1:"
_CONTEXT = b"webmacs webhook secrets v1"


class SecretBox:
    """Encrypts and decrypts webhook secrets with a key bound to the server secret."""

    def __init__(self, server_secret: str) -> None:
        digest = hmac.new(server_secret.encode("utf-8"), _CONTEXT, hashlib.sha256).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(digest))

    def seal(self, secret: str | None) -> str | None:
        if not secret:
            return None
        return _PREFIX + self._fernet.encrypt(secret.encode("utf-8")).decode("ascii")

    def open(self, stored: str | None) -> str | None:
        """The plaintext secret. A value that cannot be decrypted (server key changed) raises.

        :raises ValueError: the stored value was sealed under another server key.
        """
        if not stored:
            return None
        if not stored.startswith(_PREFIX):
            return stored  # written before encryption existed
        try:
            return self._fernet.decrypt(stored[len(_PREFIX) :].encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise ValueError("webhook secret cannot be decrypted with the current server key") from None
