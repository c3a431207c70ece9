"""Request bodies of the datapoints API (contract §2.6.7)."""

from __future__ import annotations

from pydantic import AwareDatetime, Field
from webmacs_sdk.web import RequestModel


class DatapointIn(RequestModel):
    """One datapoint; ``timestamp`` is our extension (default: the server's time of the batch)."""

    value: float = Field(allow_inf_nan=False)
    event_public_id: str = Field(min_length=1, max_length=100)
    timestamp: AwareDatetime | None = None


class BatchIn(RequestModel):
    datapoints: list[DatapointIn] = Field(max_length=500)


class SeriesIn(RequestModel):
    event_public_ids: list[str] = Field(min_length=1, max_length=20)
    minutes: int = Field(default=60, ge=1, le=14400)
    max_points: int = Field(default=500, ge=10, le=2000)
