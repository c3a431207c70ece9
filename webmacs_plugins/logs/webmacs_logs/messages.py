"""Which domain events become log entries, and with what text."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from webmacs_sdk.events import (
    ExperimentStarted,
    ExperimentStopped,
    HealthChanged,
    RuleTriggered,
    UserLoggedIn,
    UserLoggedInSso,
    WebhookDeadLettered,
)

Payload = dict[str, Any]

#: event type → (logging type, text builder)
MESSAGES: dict[str, tuple[str, Callable[[Payload], str]]] = {
    UserLoggedIn.TYPE: ("info", lambda p: f"User '{p['username']}' logged in."),
    UserLoggedInSso.TYPE: ("info", lambda p: f"User '{p['username']}' logged in via SSO ({p['provider']})."),
    ExperimentStarted.TYPE: ("info", lambda p: f"Experiment '{p['experiment']}' started."),
    ExperimentStopped.TYPE: ("info", lambda p: f"Experiment '{p['experiment']}' stopped."),
    RuleTriggered.TYPE: ("warning", lambda p: str(p["message"])),
    WebhookDeadLettered.TYPE: (
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
    "ota.controller": ("info", lambda p: str(p["message"])),
    "ota.controller_failed": ("error", lambda p: str(p["message"])),
    HealthChanged.TYPE: (
        "warning",
        lambda p: f"System health changed to '{p['status']}' (database: {p['database']}).",
    ),
}
