"""Request bodies and answers of the rules API (contract §2.6.10, §2.5). Operators, actions and event types are
checked against what the loaded plugins registered, so they are plain strings here."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from webmacs_sdk.fields import INT32_MAX, Float, NonNegativeInt32, Seconds
from webmacs_sdk.web import RequestModel, ResponseModel

#: A non-negative, finite margin around the threshold.
Margin = Annotated[float, Field(ge=0, le=INT32_MAX, allow_inf_nan=False)]


class RuleCreate(RequestModel):
    name: str = Field(min_length=1, max_length=255)
    event_public_id: str
    operator: str
    threshold: Float
    threshold_high: Float | None = None
    action_type: str
    webhook_event_type: str | None = None
    enabled: bool = True
    cooldown_seconds: NonNegativeInt32 = 60
    #: Re-arm only after the value went back past the threshold by this much (edge-triggered).
    hysteresis: Margin | None = None
    #: The condition must hold this long (datapoint time) before the rule fires.
    min_duration_seconds: Seconds = 0.0


class RuleUpdate(RequestModel):
    name: str | None = Field(default=None, min_length=1, max_length=255)
    event_public_id: str | None = None
    operator: str | None = None
    threshold: Float | None = None
    threshold_high: Float | None = None
    action_type: str | None = None
    webhook_event_type: str | None = None
    enabled: bool | None = None
    cooldown_seconds: NonNegativeInt32 | None = None
    hysteresis: Margin | None = None
    min_duration_seconds: Seconds | None = None


class RuleResponse(ResponseModel):
    """RuleResponse of contract §2.5, then the additive fields (``store.to_response``)."""

    public_id: str
    name: str
    event_public_id: str
    operator: str
    threshold: float
    threshold_high: float | None
    action_type: str
    webhook_event_type: str | None
    enabled: bool
    cooldown_seconds: int
    last_triggered_at: datetime | None
    created_on: datetime
    user_public_id: str
    hysteresis: float | None
    min_duration_seconds: float
    #: ``armed`` until the condition holds, ``pending`` while it must last ``min_duration_seconds``,
    #: ``firing`` once it fired (until it clears, by ``hysteresis`` when set).
    state: Literal["armed", "pending", "firing"]
