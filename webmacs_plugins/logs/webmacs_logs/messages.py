"""Which domain events become log entries, and with what text."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Payload = dict[str, Any]

#: event type → (logging type, text builder)
MESSAGES: dict[str, tuple[str, Callable[[Payload], str]]] = {
    "user.logged_in": ("info", lambda p: f"User '{p['username']}' logged in."),
    "user.logged_in_sso": ("info", lambda p: f"User '{p['username']}' logged in via SSO ({p['provider']})."),
    "experiment.started": ("info", lambda p: f"Experiment '{p['experiment']}' started."),
    "experiment.stopped": ("info", lambda p: f"Experiment '{p['experiment']}' stopped."),
    "rule.triggered": ("warning", lambda p: str(p["message"])),
    "webhook.dead_lettered": (
        "error",
        lambda p: f"Webhook delivery of '{p['event_type']}' to {p['url']} failed after all attempts.",
    ),
    # OTA: the plugin words each message (it knows the versions and the reason).
    "ota.registered": ("info", lambda p: str(p["message"])),
    "ota.status_changed": ("info", lambda p: str(p["message"])),
    "ota.running": ("info", lambda p: str(p["message"])),
    "ota.failed": ("error", lambda p: str(p["message"])),
    "ota.rolled_back": ("warning", lambda p: str(p["message"])),
    "ota.bundle_refused": ("error", lambda p: str(p["message"])),
    "system.health_changed": (
        "warning",
        lambda p: f"System health changed to '{p['status']}' (database: {p['database']}).",
    ),
}
