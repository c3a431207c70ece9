"""Domain events: one attrs class per event type, each knowing its wire name and its payload.

A plugin emits one with ``await app[HOST].emit(tx, ExperimentStarted(experiment=..., experiment_id=...))``
and reacts to one with ``isinstance(event, ExperimentStarted)`` in ``webmacs_on_event``. The wire name
(:attr:`DomainEvent.type`) is what webhooks subscribe to and what the outbox and logs record; the
payload is every field except the envelope (``occurred_at``, ``actor``). A third-party plugin defines
its own event types the same way: subclass :class:`DomainEvent`, set ``TYPE``, add fields.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

import attrs

from webmacs_sdk.models import Principal

#: Field metadata key of the fields that belong to the envelope, not to the payload.
ENVELOPE = "webmacs_envelope"


@attrs.define(kw_only=True)
class DomainEvent:
    """Something that happened in the domain, delivered inside the transaction of its cause.

    ``occurred_at`` is filled by ``host.emit`` when left empty; ``actor`` is who caused it.
    """

    TYPE: ClassVar[str] = ""

    occurred_at: datetime | None = attrs.field(default=None, metadata={ENVELOPE: True})
    actor: Principal | None = attrs.field(default=None, metadata={ENVELOPE: True})

    @property
    def type(self) -> str:
        """The wire name (``experiment.started``)."""
        return self.TYPE

    @property
    def payload(self) -> dict[str, Any]:
        """The JSON-serialisable fields, in declaration order (webhook bodies keep that order)."""
        return {
            field.name: getattr(self, field.name)
            for field in attrs.fields(type(self))
            if not field.metadata.get(ENVELOPE)
        }


# ---- users and authentication ------------------------------------------------------------


@attrs.define(kw_only=True)
class UserLoggedIn(DomainEvent):
    """A user logged in with a password."""

    TYPE: ClassVar[str] = "user.logged_in"
    username: str
    user_public_id: str


@attrs.define(kw_only=True)
class UserLoggedInSso(DomainEvent):
    """A user logged in through a single-sign-on provider."""

    TYPE: ClassVar[str] = "user.logged_in_sso"
    username: str
    user_public_id: str
    provider: str


@attrs.define(kw_only=True)
class UserDeleted(DomainEvent):
    """A user is being deleted; what it owned moves to ``successor_public_id`` (the admin deleting it)."""

    TYPE: ClassVar[str] = "user.deleted"
    user_public_id: str
    successor_public_id: str


# ---- experiments ---------------------------------------------------------------------------


@attrs.define(kw_only=True)
class ExperimentStarted(DomainEvent):
    """An experiment was started."""

    TYPE: ClassVar[str] = "experiment.started"
    experiment: str
    experiment_id: str


@attrs.define(kw_only=True)
class ExperimentStopped(DomainEvent):
    """The running experiment was stopped."""

    TYPE: ClassVar[str] = "experiment.stopped"
    experiment: str
    experiment_id: str


# ---- sensors and rules ---------------------------------------------------------------------


@attrs.define(kw_only=True)
class SensorReading(DomainEvent):
    """A sampled reading of one event (at most one per event every few seconds)."""

    TYPE: ClassVar[str] = "sensor.reading"
    sensor: str
    value: float
    sensor_name: str | None = None
    unit: str | None = None


@attrs.define(kw_only=True)
class ThresholdExceeded(DomainEvent):
    """A threshold rule with the ``webhook`` action fired.

    ``sent_as`` is the webhook event type the rule chose instead of ``sensor.threshold_exceeded``.
    """

    TYPE: ClassVar[str] = "sensor.threshold_exceeded"
    sensor: str
    value: float
    rule: str
    operator: str
    threshold: float
    threshold_high: float | None
    sensor_name: str
    unit: str
    sent_as: str | None = attrs.field(default=None, metadata={ENVELOPE: True})

    @property
    def type(self) -> str:
        return self.sent_as or self.TYPE


@attrs.define(kw_only=True)
class RuleTriggered(DomainEvent):
    """A threshold rule with the ``log`` action fired (the logs plugin records ``message``)."""

    TYPE: ClassVar[str] = "rule.triggered"
    rule: str
    rule_public_id: str
    sensor: str
    sensor_name: str
    value: float
    operator: str
    threshold: float
    threshold_high: float | None
    message: str
    user_public_id: str


@attrs.frozen(kw_only=True)
class RuleFired:
    """What a rule action gets when its rule fires, inside the transaction that records the firing."""

    rule: str
    rule_public_id: str
    event_public_id: str
    sensor_name: str
    unit: str
    value: float
    timestamp: datetime
    operator: str
    threshold: float
    threshold_high: float | None
    action_type: str
    webhook_event_type: str | None
    triggered_at: datetime
    user_public_id: str
    message: str

    def threshold_exceeded(self) -> ThresholdExceeded:
        """The webhook event of this firing (under the rule's own event type when it chose one)."""
        return ThresholdExceeded(
            sensor=self.event_public_id, value=self.value, rule=self.rule, operator=self.operator,
            threshold=self.threshold, threshold_high=self.threshold_high, sensor_name=self.sensor_name,
            unit=self.unit, sent_as=self.webhook_event_type, occurred_at=self.triggered_at,
        )

    def triggered(self) -> RuleTriggered:
        """The ``rule.triggered`` event of this firing."""
        return RuleTriggered(
            rule=self.rule, rule_public_id=self.rule_public_id, sensor=self.event_public_id,
            sensor_name=self.sensor_name, value=self.value, operator=self.operator, threshold=self.threshold,
            threshold_high=self.threshold_high, message=self.message, user_public_id=self.user_public_id,
            occurred_at=self.triggered_at,
        )


# ---- system and webhooks -------------------------------------------------------------------


@attrs.define(kw_only=True)
class HealthChanged(DomainEvent):
    """The server's health status changed (``ok`` / ``degraded``)."""

    TYPE: ClassVar[str] = "system.health_changed"
    status: str
    database: str


@attrs.define(kw_only=True)
class WebhookDeadLettered(DomainEvent):
    """A webhook delivery failed after all its attempts."""

    TYPE: ClassVar[str] = "webhook.dead_lettered"
    webhook_id: str
    url: str
    event_type: str
    user_public_id: str | None


@attrs.define(kw_only=True)
class WebhookTest(DomainEvent):
    """A test ping an admin sent to one webhook."""

    TYPE: ClassVar[str] = "webhook.test"
    webhook_id: str


__all__ = [
    "ENVELOPE",
    "DomainEvent",
    "ExperimentStarted",
    "ExperimentStopped",
    "HealthChanged",
    "RuleFired",
    "RuleTriggered",
    "SensorReading",
    "ThresholdExceeded",
    "UserDeleted",
    "UserLoggedIn",
    "UserLoggedInSso",
    "WebhookDeadLettered",
    "WebhookTest",
]
