"""Request bodies of ``/api/v1/plugins`` (contract §2.6.13)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from webmacs_sdk.web import RequestModel

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
