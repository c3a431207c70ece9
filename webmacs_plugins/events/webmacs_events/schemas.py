"""Request bodies and answers of the events API (contract §2.6.5, §2.5)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from webmacs_sdk.fields import Float
from webmacs_sdk.web import RequestModel, ResponseModel

EventType = Literal["sensor", "actuator", "range", "cmd_button", "cmd_opened", "cmd_closed"]


class EventCreate(RequestModel):
    name: str = Field(min_length=1, max_length=255)
    min_value: Float
    max_value: Float
    unit: str = Field(min_length=1, max_length=255)
    type: EventType

    @model_validator(mode="after")
    def _range_is_ordered(self) -> EventCreate:
        # BEAT: upstream stores min > max and the range widgets then misbehave.
        if self.min_value > self.max_value:
            raise ValueError("min_value must be less than or equal to max_value")
        return self


class EventUpdate(RequestModel):
    name: str | None = Field(default=None, max_length=255)
    min_value: Float | None = None
    max_value: Float | None = None
    unit: str | None = Field(default=None, max_length=255)
    type: EventType | None = None


class EventResponse(ResponseModel):
    """EventResponse of contract §2.5 (``store.to_response``)."""

    public_id: str
    name: str
    min_value: float
    max_value: float
    unit: str
    type: EventType
    user_public_id: str | None
