"""Request bodies and answers of ``/api/v1/plugins`` (contract §2.6.13, §2.5)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from webmacs_sdk.web import RequestModel, ResponseModel

PluginStatus = Literal["inactive", "connected", "error", "demo", "installing"]
Direction = Literal["input", "output", "bidirectional"]


class InstanceCreate(RequestModel):
    plugin_id: str = Field(min_length=1, max_length=100)
    instance_name: str = Field(min_length=1, max_length=255)
    demo_mode: bool = False
    enabled: bool = True
    auto_create_events: bool = True
    config_json: str | None = None


class InstanceUpdate(RequestModel):
    instance_name: str | None = Field(default=None, min_length=1, max_length=255)
    demo_mode: bool | None = None
    enabled: bool | None = None
    config_json: str | None = None


class StatusUpdate(RequestModel):
    """What the controller reports about a running instance (BEAT: upstream never reports)."""

    status: PluginStatus
    error_message: str | None = Field(default=None, max_length=2000)


class MappingCreate(RequestModel):
    channel_id: str = Field(min_length=1, max_length=100)
    channel_name: str = Field(min_length=1, max_length=255)
    direction: Direction
    unit: str = Field(min_length=1, max_length=50)
    event_public_id: str | None = None


class MappingUpdate(RequestModel):
    event_public_id: str | None = None


class ChannelMappingResponse(ResponseModel):
    """ChannelMappingResponse of contract §2.5 (``store.mapping_response``)."""

    public_id: str
    channel_id: str
    channel_name: str
    direction: Direction
    unit: str
    event_public_id: str | None
    created_on: datetime


class PluginInstanceResponse(ResponseModel):
    """PluginInstanceResponse of contract §2.5 (``store.instance_response``); ``config_json`` is an
    opaque JSON string."""

    public_id: str
    plugin_id: str
    instance_name: str
    demo_mode: bool
    enabled: bool
    status: PluginStatus
    config_json: str | None
    error_message: str | None
    created_on: datetime
    updated_on: datetime
    user_public_id: str
    channel_mappings: list[ChannelMappingResponse]


class PluginPackageResponse(ResponseModel):
    """PluginPackageResponse of contract §2.5 (``packages.to_response``)."""

    public_id: str
    package_name: str
    version: str
    source: Literal["bundled", "uploaded"]
    plugin_ids: list[str]
    file_size_bytes: int | None
    installed_on: datetime
    removable: bool
