"""Typed domain events keep the contract's wire names and payloads."""

from datetime import UTC, datetime

from webmacs_sdk.events import DomainEvent, ExperimentStarted, RuleFired, UserDeleted

AT = datetime(2025, 1, 15, 14, 30, tzinfo=UTC)


def firing(**overrides) -> RuleFired:
    fields = dict(
        rule="Overflow", rule_public_id="r-1", event_public_id="e-1", sensor_name="Tank", unit="l", value=95.5,
        timestamp=AT, operator="gt", threshold=90.0, threshold_high=None, action_type="webhook",
        webhook_event_type=None, triggered_at=AT, user_public_id="u-1", message="Rule 'Overflow' triggered",
    )
    return RuleFired(**{**fields, **overrides})


def test_an_event_knows_its_wire_name_and_payload_without_the_envelope():
    event = ExperimentStarted(experiment="Run 1", experiment_id="x-1", occurred_at=AT)
    assert event.type == "experiment.started"
    assert event.payload == {"experiment": "Run 1", "experiment_id": "x-1"}
    assert isinstance(event, DomainEvent) and not isinstance(event, UserDeleted)


def test_a_firing_gives_the_contracts_threshold_webhook_payload_in_order():
    event = firing().threshold_exceeded()
    assert event.type == "sensor.threshold_exceeded" and event.occurred_at == AT
    assert list(event.payload) == [
        "sensor", "value", "rule", "operator", "threshold", "threshold_high", "sensor_name", "unit",
    ]
    assert event.payload["sensor"] == "e-1"


def test_a_rule_may_send_its_firing_under_another_declared_type():
    assert firing(webhook_event_type="experiment.stopped").threshold_exceeded().type == "experiment.stopped"
    triggered = firing().triggered()
    assert triggered.type == "rule.triggered" and triggered.payload["message"] == "Rule 'Overflow' triggered"
