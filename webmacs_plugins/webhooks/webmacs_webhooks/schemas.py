"""Request bodies and answers of the webhooks API (contract §2.6.9, §2.5)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from webmacs_sdk.web import RequestModel, ResponseModel

URL_PATTERN = r"^https?://"


class WebhookCreate(RequestModel):
    url: str = Field(min_length=1, max_length=2048, pattern=URL_PATTERN)
    secret: str | None = Field(default=None, max_length=255)
    events: list[str] = Field(min_length=1)
    enabled: bool = True


class WebhookUpdate(RequestModel):
    url: str | None = Field(default=None, min_length=1, max_length=2048, pattern=URL_PATTERN)
    secret: str | None = Field(default=None, max_length=255)
    events: list[str] | None = Field(default=None, min_length=1)
    enabled: bool | None = None


class WebhookResponse(ResponseModel):
    """WebhookResponse of contract §2.5 (``store.to_response``); the secret is never returned."""

    public_id: str
    url: str
    events: list[str]
    enabled: bool
    created_on: datetime
    user_public_id: str


class WebhookDeliveryResponse(ResponseModel):
    """WebhookDeliveryResponse of contract §2.5 (``store.delivery_response``); no payload."""

    public_id: str
    event_type: str
    status: Literal["pending", "delivered", "failed", "dead_letter"]
    attempts: int
    last_error: str | None
    response_code: int | None
    created_on: datetime
    delivered_on: datetime | None


class DeliveryAttemptResponse(ResponseModel):
    """One attempt of a delivery (our extension, ``store.attempt_response``)."""

    attempt: int
    started_on: datetime
    duration_ms: float
    response_code: int | None
    error: str | None
    response_excerpt: str | None


class DeliveryQueuedResponse(ResponseModel):
    """``POST /webhooks/{id}/test``: a StatusResponse with the queued delivery's id."""

    status: Literal["success"]
    message: str
    delivery_id: str
