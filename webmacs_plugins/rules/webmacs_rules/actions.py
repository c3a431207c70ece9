"""The built-in rule actions. An action gets ``(app, tx, firing)`` inside the transaction that
records the firing; ``firing`` is a plain mapping (see :mod:`webmacs_rules.engine`), so a
third-party action needs nothing but ``webmacs_sdk``."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from webmacs_sdk import DomainEvent, RuleActionSpec, Transaction
from webmacs_sdk.keys import HOST

log = logging.getLogger(__name__)

DEFAULT_WEBHOOK_EVENT = "sensor.threshold_exceeded"


async def webhook_action(app: web.Application, tx: Transaction, firing: Mapping[str, Any]) -> None:
    """Emit ``sensor.threshold_exceeded`` (or the rule's own type) in the rule's transaction, so the
    webhooks outbox rows commit together with the rule's new state."""
    payload = {
        "sensor": firing["event_public_id"],
        "value": firing["value"],
        "rule": firing["rule"],
        "operator": firing["operator"],
        "threshold": firing["threshold"],
        "threshold_high": firing["threshold_high"],
        "sensor_name": firing["sensor_name"],
        "unit": firing["unit"],
    }
    event_type = firing.get("webhook_event_type") or DEFAULT_WEBHOOK_EVENT
    await app[HOST].emit(tx, DomainEvent(event_type, payload, occurred_at=firing["triggered_at"]))


async def log_action(app: web.Application, tx: Transaction, firing: Mapping[str, Any]) -> None:
    """A WARNING in the process log and a ``rule.triggered`` event (the logs plugin turns it into a
    visible log entry; BEAT: upstream wrote only the process log)."""
    log.warning("%s", firing["message"])
    payload = {
        "rule": firing["rule"],
        "rule_public_id": firing["rule_public_id"],
        "sensor": firing["event_public_id"],
        "sensor_name": firing["sensor_name"],
        "value": firing["value"],
        "operator": firing["operator"],
        "threshold": firing["threshold"],
        "threshold_high": firing["threshold_high"],
        "message": firing["message"],
        "user_public_id": firing["user_public_id"],
    }
    await app[HOST].emit(tx, DomainEvent("rule.triggered", payload, occurred_at=firing["triggered_at"]))


ACTIONS = (
    RuleActionSpec("webhook", webhook_action, "Send the rule's webhook event to subscribed webhooks."),
    RuleActionSpec("log", log_action, "Write a warning log entry."),
)
