"""Request bodies of the webhooks API (contract §2.6.9)."""

from __future__ import annotations

from pydantic import Field

from webmacs_sdk.web import RequestModel

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
