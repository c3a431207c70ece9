"""Request bodies of the experiments API (contract §2.6.6)."""

from __future__ import annotations

from pydantic import Field

from webmacs_sdk.web import RequestModel


class ExperimentCreate(RequestModel):
    name: str = Field(min_length=1, max_length=255)


class ExperimentUpdate(RequestModel):
    name: str | None = Field(default=None, max_length=255)
