"""The built-in rule actions. An action gets ``(app, tx, firing)`` inside the transaction that
records the firing; ``firing`` is a :class:`webmacs_sdk.events.RuleFired`, so a third-party
action needs nothing but ``webmacs_sdk``."""

from __future__ import annotations

import logging

from aiohttp import web

from webmacs_sdk import RuleActionSpec, RuleFired, Transaction
from webmacs_sdk.keys import HOST

log = logging.getLogger(__name__)

async def webhook_action(app: web.Application, tx: Transaction, firing: RuleFired) -> None:
    """Emit ``sensor.threshold_exceeded`` (or the rule's own type) in the rule's transaction, so the
    webhooks outbox rows commit together with the rule's new state."""
    await app[HOST].emit(tx, firing.threshold_exceeded())


async def log_action(app: web.Application, tx: Transaction, firing: RuleFired) -> None:
    """A WARNING in the process log and a ``rule.triggered`` event (the logs plugin turns it into a
    visible log entry; BEAT: upstream wrote only the process log)."""
    log.warning("%s", firing.message)
    await app[HOST].emit(tx, firing.triggered())


ACTIONS = (
    RuleActionSpec("webhook", webhook_action, "Send the rule's webhook event to subscribed webhooks."),
    RuleActionSpec("log", log_action, "Write a warning log entry."),
)
