"""Request bodies of the rules API (contract §2.6.10). Operators, actions and event types are
checked against what the loaded plugins registered, so they are plain strings here."""

from __future__ import annotations

from pydantic import Field

from webmacs_sdk.web import RequestModel


class RuleCreate(RequestModel):
    name: str = Field(min_length=1, max_length=255)
    event_public_id: str
    operator: str
    threshold: float
    threshold_high: float | None = None
    action_type: str
    webhook_event_type: str | None = None
    enabled: bool = True
    cooldown_seconds: int = Field(default=60, ge=0)
    #: Re-arm only after the value went back past the threshold by this much (edge-triggered).
    hysteresis: float | None = Field(default=None, ge=0)
    #: The condition must hold this long (datapoint time) before the rule fires.
    min_duration_seconds: float = Field(default=0.0, ge=0)


class RuleUpdate(RequestModel):
    name: str | None = Field(default=None, min_length=1, max_length=255)
    event_public_id: str | None = None
    operator: str | None = None
    threshold: float | None = None
    threshold_high: float | None = None
    action_type: str | None = None
    webhook_event_type: str | None = None
    enabled: bool | None = None
    cooldown_seconds: int | None = Field(default=None, ge=0)
    hysteresis: float | None = Field(default=None, ge=0)
    min_duration_seconds: float | None = Field(default=None, ge=0)
