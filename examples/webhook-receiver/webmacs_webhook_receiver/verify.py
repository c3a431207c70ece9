"""Signature, freshness and replay checks for WebMACS webhook requests."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections import OrderedDict
from collections.abc import Mapping

#: Requests whose timestamp is further than this from our clock are rejected (seconds).
TOLERANCE = 300


class VerificationError(Exception):
    """The request is not an authentic, fresh WebMACS delivery; the message says why."""


def _fresh(raw: str | None, now: float, tolerance: int) -> int:
    try:
        stamp = int(raw or "")
    except ValueError:
        raise VerificationError("missing or malformed timestamp") from None
    if abs(now - stamp) > tolerance:
        raise VerificationError("timestamp outside the allowed window")
    return stamp


def _mac(secret: str, message: bytes) -> bytes:
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).digest()


def verify(
    secret: str | None,
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: float | None = None,
    tolerance: int = TOLERANCE,
) -> str | None:
    """Check every signature scheme present; return the ``webhook-id`` (or None if not sent).

    :raises VerificationError: a signature is wrong, missing, or a timestamp is stale.
    """
    now = time.time() if now is None else now
    lower = {k.lower(): v for k, v in headers.items()}
    message_id = lower.get("webhook-id")
    checked = 0
    if "x-webhook-timestamp" in lower or "x-webhook-signature" in lower:
        stamp = _fresh(lower.get("x-webhook-timestamp"), now, tolerance)
        if secret:
            expected = _mac(secret, f"{stamp}.".encode() + body).hex()
            if not hmac.compare_digest(expected, lower.get("x-webhook-signature", "")):
                raise VerificationError("X-Webhook-Signature does not match")
            checked += 1
    if "webhook-signature" in lower or "webhook-timestamp" in lower:
        stamp = _fresh(lower.get("webhook-timestamp"), now, tolerance)
        if secret:
            if not message_id:
                raise VerificationError("webhook-id missing")
            expected = (
                "v1," + base64.b64encode(_mac(secret, f"{message_id}.{stamp}.".encode() + body)).decode()
            )
            offered = lower.get("webhook-signature", "").split()
            # compare against every offered signature, without stopping early
            matches = [hmac.compare_digest(expected, candidate) for candidate in offered]
            if not any(matches):
                raise VerificationError("webhook-signature does not match")
            checked += 1
    if secret and not checked:
        raise VerificationError("request is not signed")
    return message_id


class ReplayGuard:
    """Remembers recently seen message ids, at most ``capacity`` of them, each for ``ttl`` seconds."""

    def __init__(self, capacity: int = 10_000, ttl: float = 2 * TOLERANCE) -> None:
        self.capacity = capacity
        self.ttl = ttl
        self._seen: OrderedDict[str, float] = OrderedDict()

    def __len__(self) -> int:
        return len(self._seen)

    def first_time(self, message_id: str, *, now: float | None = None) -> bool:
        """True the first time ``message_id`` is offered (within its lifetime), False for a repeat."""
        now = time.monotonic() if now is None else now
        while self._seen:
            seen_at = next(iter(self._seen.values()))
            if now - seen_at <= self.ttl and len(self._seen) < self.capacity:
                break
            self._seen.popitem(last=False)
        if message_id in self._seen:
            return False
        self._seen[message_id] = now
        return True
