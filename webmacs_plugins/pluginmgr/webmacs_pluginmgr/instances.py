"""Creating and deleting plugin instances: channel discovery, auto-created events, the delete cascade."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

import orjson
import sqlalchemy as sa
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncConnection

import webmacs_events as events_api
from webmacs_pluginmgr import sandbox, store
from webmacs_pluginmgr.catalogue import catalogue_for
from webmacs_pluginmgr.packages_api import plugin_dir_for, probe_limits
from webmacs_pluginmgr.tables import plugin_instances
from webmacs_sdk.device import ChannelDescriptor, DevicePlugin, PluginConfigError
from webmacs_sdk.errors import ValidationFailed

log = logging.getLogger(__name__)

#: Contract §1.14: the event type of an auto-created event follows the channel direction.
EVENT_TYPE_BY_DIRECTION = {"input": "sensor", "output": "actuator", "bidirectional": "range"}
#: ``events.name`` is VARCHAR(255).
MAX_EVENT_NAME = 255


def parse_config(config_json: str | None) -> dict[str, Any]:
    """The instance configuration: ``config_json`` must be a JSON object string (or null/blank)."""
    if config_json is None or not config_json.strip():
        return {}
    try:
        value = orjson.loads(config_json)
    except orjson.JSONDecodeError as exc:
        raise ValidationFailed.single(
            ["body", "config_json"], f"Value error, config_json is not valid JSON: {exc}"
        ) from None
    if not isinstance(value, dict):
        raise ValidationFailed.single(
            ["body", "config_json"], "Value error, config_json must be a JSON object"
        )
    return value


def event_name(instance_name: str, channel_name: str) -> str:
    """``"<instance_name> \u2013 <channel name>"`` (EN DASH with spaces), as the contract names them."""
    return f"{instance_name} \u2013 {channel_name}"


async def discover_channels(cls: type[DevicePlugin], config: Mapping[str, Any]) -> list[ChannelDescriptor]:
    """Instantiate and configure the driver off the event loop (drivers may read files) and list its channels.

    :raises ValidationFailed: the driver rejected the configuration.
    """

    def run() -> list[ChannelDescriptor]:
        plugin = cls()
        plugin.configure(config)
        return plugin.channels

    try:
        return await asyncio.to_thread(run)
    except PluginConfigError as exc:
        raise ValidationFailed.single(["body", "config_json"], f"Value error, {exc}") from None


async def channels_of(app: web.Application, plugin_id: str, config: Mapping[str, Any]) -> list[ChannelDescriptor]:
    """The channels of driver ``plugin_id`` configured with ``config``: a bundled driver runs here, an
    uploaded one only in its sandbox (:mod:`.sandbox`).

    :raises ValidationFailed: unknown driver, configuration refused, or the uploaded driver's code failed.
    """
    catalogue = catalogue_for(app)
    bundled = catalogue.drivers(app)
    if plugin_id in bundled:
        return await discover_channels(bundled[plugin_id], config)
    state = plugin_dir_for(app)
    limits = probe_limits(app)
    uploaded = await catalogue.uploaded(state.paths, limits)
    driver = uploaded.get(plugin_id)
    if driver is None:
        known = ", ".join(sorted({*bundled, *uploaded})) or "none"
        raise ValidationFailed.single(
            ["body", "plugin_id"], f"Value error, unknown plugin '{plugin_id}' (installed: {known})"
        )
    try:
        dumps = await sandbox.configured_channels(state.paths, driver.package, plugin_id, config, limits)
        return [ChannelDescriptor.model_validate(dump) for dump in dumps]
    except sandbox.DriverConfigRejected as exc:
        raise ValidationFailed.single(["body", "config_json"], f"Value error, {exc}") from None
    except (sandbox.DriverProbeFailed, ValueError) as exc:
        raise ValidationFailed.single(
            ["body", "plugin_id"], f"Value error, driver '{plugin_id}' could not be run: {exc}"
        ) from None


def check_event_names(instance_name: str, channels: list[ChannelDescriptor]) -> None:
    too_long = [c.name for c in channels if len(event_name(instance_name, c.name)) > MAX_EVENT_NAME]
    if too_long:
        raise ValidationFailed.single(
            ["body", "instance_name"],
            f"Value error, the event name for channel {too_long[0]!r} would exceed "
            f"{MAX_EVENT_NAME} characters; "
            "use a shorter instance_name or auto_create_events=false",
        )


async def map_channels(
    conn: AsyncConnection,
    *,
    instance_id: int,
    instance_name: str,
    channels: list[ChannelDescriptor],
    auto_create_events: bool,
    owner: str,
) -> None:
    """One mapping per channel; with ``auto_create_events`` an event per channel (an existing event
    of exactly that name is reused)."""
    for channel in channels:
        direction = str(channel.direction)
        event_public_id: str | None = None
        if auto_create_events:
            name = event_name(instance_name, channel.name)
            existing = await events_api.by_name(conn, name)
            if existing is None:
                existing = await events_api.create(
                    conn,
                    name=name,
                    min_value=channel.min_value,
                    max_value=channel.max_value,
                    unit=channel.unit,
                    type=EVENT_TYPE_BY_DIRECTION[direction],
                    user_public_id=owner,
                )
            event_public_id = existing.public_id
        await store.insert_mapping(
            conn,
            instance_id=instance_id,
            channel_id=channel.id,
            channel_name=channel.name[:255],
            direction=direction,
            unit=channel.unit[:50],
            event_public_id=event_public_id,
        )


async def delete_instance(app: web.Application, conn: AsyncConnection, instance_id: int) -> int:
    """Contract §4.2: the instance's events go with it: their rules and datapoints through the events'
    foreign keys, dashboard widgets detached; then the instance, whose mappings cascade.

    An event another instance still maps is kept (it still feeds that instance).
    Returns the number of events deleted.
    """
    doomed = await store.events_only_mapped_by(conn, instance_id)
    deleted = await events_api.delete_many(app, conn, doomed)
    await conn.execute(sa.delete(plugin_instances).where(plugin_instances.c.id == instance_id))
    return deleted
