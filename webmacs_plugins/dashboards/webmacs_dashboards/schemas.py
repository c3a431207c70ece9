"""Request bodies and answers of the dashboards API (contract §2.6.12, §2.5). ``widget_type`` is checked against
the contract's four types plus those plugins contribute through ``webmacs_widget_types``."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from webmacs_sdk.fields import Int32
from webmacs_sdk.web import RequestModel, ResponseModel


class DashboardCreate(RequestModel):
    name: str = Field(min_length=1, max_length=255)
    is_global: bool = False


class DashboardUpdate(RequestModel):
    name: str | None = Field(default=None, max_length=255)
    is_global: bool | None = None


class WidgetCreate(RequestModel):
    widget_type: str
    title: str = Field(min_length=1, max_length=255)
    event_public_id: str | None = None
    x: Int32 = 0
    y: Int32 = 0
    w: int = Field(default=4, ge=1, le=12)
    h: int = Field(default=3, ge=1, le=12)
    config_json: str | None = None


class WidgetUpdate(RequestModel):
    title: str | None = Field(default=None, min_length=1, max_length=255)
    event_public_id: str | None = None
    x: Int32 | None = None
    y: Int32 | None = None
    w: int | None = Field(default=None, ge=1, le=12)
    h: int | None = Field(default=None, ge=1, le=12)
    config_json: str | None = None


class DashboardWidgetResponse(ResponseModel):
    """DashboardWidgetResponse of contract §2.5 (``store.widget_response``); ``config_json`` is an
    opaque JSON string."""

    public_id: str
    widget_type: str
    title: str
    event_public_id: str | None
    x: int
    y: int
    w: int
    h: int
    config_json: str | None


class DashboardResponse(ResponseModel):
    """DashboardResponse of contract §2.5 (``store.to_response``), widgets in creation order."""

    public_id: str
    name: str
    is_global: bool
    created_on: datetime
    user_public_id: str
    widgets: list[DashboardWidgetResponse]
