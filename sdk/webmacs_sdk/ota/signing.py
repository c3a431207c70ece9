"""Ed25519 keys and detached signatures of bundle manifests (made and checked with ``cryptography``).

A private key is a PKCS#8 PEM file; a public key is one line ``ed25519:<base64 of 32 bytes>``,
in a ``.pub`` file or directly in the ``WEBMACS_OTA_TRUSTED_KEYS`` setting.

This module imports ``cryptography`` when it is imported: import it where a key is used, not
where a light process (the controller's run path) merely might use one.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable, Sequence
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

PREFIX = "ed25519:"


class KeyProblem(ValueError):
    """A key file or setting cannot be used; the message says which and why."""


def generate() -> tuple[bytes, str]:
    """A new key pair: the private key as PEM and the public key as its one-line text."""
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return pem, public_text(private.public_key())


def public_text(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return PREFIX + base64.b64encode(raw).decode()


def key_id(key: Ed25519PublicKey) -> str:
    """A short fingerprint: the first 16 hex digits of the SHA-256 of the raw public key."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def load_private(path: Path) -> Ed25519PrivateKey:
    """:raises KeyProblem: unreadable, not PEM, encrypted, or not an Ed25519 key."""
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except OSError as exc:
        raise KeyProblem(f"cannot read private key {path}: {exc.strerror or exc}") from None
    except (ValueError, TypeError) as exc:
        raise KeyProblem(f"{path} is not an unencrypted PEM private key: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyProblem(f"{path} is not an Ed25519 private key")
    return key


def parse_public(text: str) -> Ed25519PublicKey:
    """:raises KeyProblem: not ``ed25519:<base64>`` of a 32-byte key."""
    text = text.strip()
    if not text.startswith(PREFIX):
        raise KeyProblem(f"public key must start with '{PREFIX}'")
    try:
        raw = base64.b64decode(text[len(PREFIX):], validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError):
        raise KeyProblem("public key is not the base64 of a 32-byte Ed25519 key") from None


def load_trusted(entries: Iterable[str]) -> list[Ed25519PublicKey]:
    """Public keys from setting entries: inline ``ed25519:...`` text or paths of ``.pub`` files."""
    keys = []
    for raw in entries:
        entry = raw.strip()
        if not entry:
            continue
        if entry.startswith(PREFIX):
            keys.append(parse_public(entry))
            continue
        try:
            text = Path(entry).read_text()
        except OSError as exc:
            raise KeyProblem(f"cannot read trusted key {entry}: {exc.strerror or exc}") from None
        try:
            keys.append(parse_public(text))
        except KeyProblem as exc:
            raise KeyProblem(f"{entry}: {exc}") from None
    return keys


def sign(key: Ed25519PrivateKey, data: bytes) -> bytes:
    return key.sign(data)


def verify_any(trusted: Sequence[Ed25519PublicKey], data: bytes, signature: bytes) -> str | None:
    """The key id of the trusted key that made ``signature`` over ``data``, or None."""
    for key in trusted:
        try:
            key.verify(signature, data)
        except InvalidSignature:
            continue
        return key_id(key)
    return None
