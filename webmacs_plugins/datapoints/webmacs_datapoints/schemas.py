"""Request bodies and answers of the datapoints API (contract §2.6.7, §2.5)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field, RootModel

from webmacs_sdk.fields import INT64_MAX, AwareUtcDatetime, Float
from webmacs_sdk.web import PageParams, RequestModel, ResponseModel


class DatapointIn(RequestModel):
    """One datapoint; ``timestamp`` is our extension (default: the server's time of the batch)."""

    value: Float
    event_public_id: str = Field(min_length=1, max_length=100)
    timestamp: AwareUtcDatetime | None = None


class BatchIn(RequestModel):
    """``controller_id`` + ``seq`` (our extension, as on the acknowledged WebSocket) make a resent batch
    idempotent: a retry after a lost response is stored once."""

    datapoints: list[DatapointIn] = Field(max_length=500)
    controller_id: str | None = Field(default=None, min_length=1, max_length=100)
    seq: int | None = Field(default=None, ge=0, le=INT64_MAX)


class SeriesIn(RequestModel):
    event_public_ids: list[str] = Field(min_length=1, max_length=20)
    minutes: int = Field(default=60, ge=1, le=14400)
    max_points: int = Field(default=500, ge=10, le=2000)


class ListFilter(PageParams):
    """The list's optional filters (our extension): one event, and a time range whose ends are both
    included. Absent filters select every datapoint; an unknown event selects none."""

    event_public_id: str | None = Field(default=None, min_length=1, max_length=100)
    from_: AwareUtcDatetime | None = Field(default=None, alias="from")
    to: AwareUtcDatetime | None = None


class DatapointResponse(ResponseModel):
    """DatapointResponse of contract §2.5 (``queries.to_response``)."""

    public_id: str
    value: float
    timestamp: datetime | None
    event_public_id: str
    experiment_public_id: str | None


class DatapointBucket(DatapointResponse):
    """A down-sampled point of a long series: the bucket's average at its newest point's time, with
    the extension fields ``min``, ``max`` and ``count`` (contract §1.8)."""

    min: float
    max: float
    count: int


class SeriesResponse(RootModel[dict[str, list[DatapointResponse | DatapointBucket]]]):
    """``POST /datapoints/series``: each requested event id → its points, oldest first (raw points,
    or buckets when the series had more than ``max_points``)."""
