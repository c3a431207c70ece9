"""Request signing: the WebMACS scheme and Standard Webhooks side by side.

WebMACS (contract §1.11): ``X-Webhook-Timestamp: <unix s>`` and ``X-Webhook-Signature:
<hex HMAC-SHA256(secret, "<ts>.<body>")>``. Standard Webhooks 1.0: ``webhook-id`` (the delivery id,
stable across retries), ``webhook-timestamp`` and ``webhook-signature: v1,<base64 HMAC-SHA256(
secret, "<id>.<ts>.<body>")>``, the key being the secret's UTF-8 bytes. Both are regenerated per
attempt; existing receivers keep working and new ones get replay protection.
"""

from __future__ import annotations

import base64
import hashlib
import hmac


def webmacs_signature(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def standard_signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256)
    return "v1," + base64.b64encode(mac.digest()).decode("ascii")


def headers(secret: str | None, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """Every header of one attempt; signatures only when the webhook has a secret."""
    result = {
        "Content-Type": "application/json",
        "X-Webhook-Timestamp": str(timestamp),
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
    }
    if secret:
        result["X-Webhook-Signature"] = webmacs_signature(secret, timestamp, body)
        result["webhook-signature"] = standard_signature(secret, message_id, timestamp, body)
    return result
