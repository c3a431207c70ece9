"""Reference receiver for WebMACS webhooks (see README)."""

from webmacs_webhook_receiver.app import create_app
from webmacs_webhook_receiver.verify import ReplayGuard, VerificationError, verify

__all__ = ["ReplayGuard", "VerificationError", "create_app", "verify"]
