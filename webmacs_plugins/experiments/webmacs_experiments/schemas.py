"""Request bodies and answers of the experiments API (contract §2.6.6, §2.5)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from webmacs_sdk.web import RequestModel, ResponseModel


class ExperimentCreate(RequestModel):
    name: str = Field(min_length=1, max_length=255)


class ExperimentUpdate(RequestModel):
    name: str | None = Field(default=None, max_length=255)


class ExperimentResponse(ResponseModel):
    """ExperimentResponse of contract §2.5 (``store.to_response``)."""

    public_id: str
    name: str
    started_on: datetime | None
    stopped_on: datetime | None
    user_public_id: str | None
