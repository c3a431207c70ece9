"""``/api/v1/plugins`` (contract §2.6.13): catalogue, packages, instances, channel mappings, status.

BEAT fixes: unknown drivers and non-object ``config_json`` are 422, duplicates are 409 (never a
silent failure at commit), a mapping is only reachable through its own instance (#28), a mapped
event must exist, and the controller can report an instance's status.
"""

from __future__ import annotations

import sqlalchemy as sa
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncConnection

import webmacs_events as events_api
from webmacs_pluginmgr import catalogue, changes, instances, packages_api, store, wheelhouse
from webmacs_pluginmgr.active import active_for
from webmacs_pluginmgr.changes import changes_for
from webmacs_pluginmgr.schemas import (
    ChannelMappingResponse,
    InstanceCreate,
    InstanceUpdate,
    MappingCreate,
    MappingUpdate,
    PluginInstanceResponse,
    PluginPackageResponse,
    StatusUpdate,
)
from webmacs_pluginmgr.tables import channel_mappings, plugin_instances
from webmacs_sdk.db import conflict_on_duplicate, fetch_page
from webmacs_sdk.errors import Conflict, NotFound
from webmacs_sdk.keys import DATABASE
from webmacs_sdk.specs import Policy, RouteTable
from webmacs_sdk.timefmt import utcnow
from webmacs_sdk.web import (
    Page,
    PageParams,
    StatusResponse,
    fields_set,
    json_response,
    page_params,
    paginated,
    parse_body,
    principal,
    status_response,
)

routes = RouteTable("/api/v1/plugins")

INSTANCE_EXISTS = "Plugin instance already exists."
MAPPING_EXISTS = "Channel mapping already exists."


def _instance_not_found(public_id: str) -> NotFound:
    return NotFound.entity("Plugin instance", public_id)


# ---- literal paths first: they must win over /{public_id} ----------------------------------


@routes.get("/available", policy=Policy.AUTHENTICATED)
async def list_available(request: web.Request) -> web.Response:
    app = request.app
    return json_response(
        await catalogue.available(app, packages_api.plugin_dir_for(app).paths, packages_api.probe_limits(app))
    )


routes.get("/changes", policy=Policy.AUTHENTICATED)(changes.follow)
routes.get("/bundled", policy=Policy.AUTHENTICATED)(wheelhouse.list_bundled)
routes.get("/wheelhouse", policy=Policy.OPERATOR)(wheelhouse.list_wheels)
routes.get("/wheelhouse/{package_name}/{version}/{sha256}", policy=Policy.OPERATOR)(wheelhouse.download)
routes.get("/packages", policy=Policy.AUTHENTICATED, response=list[PluginPackageResponse])(packages_api.list_packages)
routes.post("/packages/upload", policy=Policy.ADMIN, files=("file",), status=201)(packages_api.upload_package)
routes.delete("/packages/{public_id}", policy=Policy.ADMIN, response=StatusResponse)(packages_api.delete_package)


# ---- instances ---------------------------------------------------------------------------------


@routes.get("", policy=Policy.AUTHENTICATED, query=PageParams, response=Page[PluginInstanceResponse])
async def list_instances(request: web.Request) -> web.Response:
    params = page_params(request)
    query = sa.select(plugin_instances).order_by(plugin_instances.c.id)
    async with request.app[DATABASE].connect() as conn:
        total, rows = await fetch_page(conn, query, params.page, params.page_size)
        mappings = await store.mappings_of(conn, [row.id for row in rows])
    data = [store.instance_response(row, mappings[row.id]) for row in rows]
    return paginated(params.page, params.page_size, total, data)


@routes.post("", policy=Policy.ADMIN, body=InstanceCreate, response=StatusResponse, status=201)
async def create_instance(request: web.Request) -> web.Response:
    body = await parse_body(request, InstanceCreate)
    config = instances.parse_config(body.config_json)
    channels = await instances.channels_of(
        request.app,
        body.plugin_id,
        catalogue.instance_config(config, body.instance_name, body.demo_mode),
    )
    if body.auto_create_events:
        instances.check_event_names(body.instance_name, channels)
    owner = principal(request).public_id
    active = active_for(request.app)
    with conflict_on_duplicate(INSTANCE_EXISTS):
        async with request.app[DATABASE].transaction() as tx:
            if await store.name_taken(tx.conn, body.instance_name):
                raise Conflict(INSTANCE_EXISTS)
            row = await store.insert_instance(
                tx.conn,
                plugin_id=body.plugin_id,
                instance_name=body.instance_name,
                demo_mode=body.demo_mode,
                enabled=body.enabled,
                status="inactive",
                config_json=body.config_json,
                user_public_id=owner,
            )
            await instances.map_channels(
                tx.conn,
                instance_id=row.id,
                instance_name=body.instance_name,
                channels=channels,
                auto_create_events=body.auto_create_events,
                owner=owner,
            )
            active.invalidate_on_commit(tx)
            changes_for(request.app).bump_on_commit(tx)
    return status_response("Plugin instance created.", status=201)


@routes.get("/{public_id}", policy=Policy.AUTHENTICATED, response=PluginInstanceResponse)
async def get_instance(request: web.Request) -> web.Response:
    public_id = request.match_info["public_id"]
    async with request.app[DATABASE].connect() as conn:
        row = await store.instance_by_public_id(conn, public_id)
        if row is None:
            raise NotFound("Plugin instance not found.")
        mappings = await store.mappings_of(conn, [row.id])
    return json_response(store.instance_response(row, mappings[row.id]))


@routes.put("/{public_id}", policy=Policy.ADMIN, body=InstanceUpdate, response=StatusResponse)
async def update_instance(request: web.Request) -> web.Response:
    public_id = request.match_info["public_id"]
    changes = fields_set(await parse_body(request, InstanceUpdate))
    # Explicit nulls for non-nullable columns mean "leave unchanged".
    values = {k: v for k, v in changes.items() if v is not None or k == "config_json"}
    if "config_json" in values:
        instances.parse_config(values["config_json"])
    active = active_for(request.app)
    with conflict_on_duplicate(INSTANCE_EXISTS):
        async with request.app[DATABASE].transaction() as tx:
            row = await store.instance_by_public_id(tx.conn, public_id)
            if row is None:
                raise _instance_not_found(public_id)
            name = values.get("instance_name")
            if name is not None and await store.name_taken(tx.conn, name, exclude_id=row.id):
                raise Conflict(INSTANCE_EXISTS)
            # updated_on moves on every update: the controller re-configures instances by it.
            await tx.conn.execute(
                sa.update(plugin_instances)
                .where(plugin_instances.c.id == row.id)
                .values(**values, updated_on=utcnow())
            )
            active.invalidate_on_commit(tx)
            changes_for(request.app).bump_on_commit(tx)
    return status_response("Plugin instance successfully updated.")


@routes.delete("/{public_id}", policy=Policy.ADMIN, response=StatusResponse)
async def delete_instance(request: web.Request) -> web.Response:
    public_id = request.match_info["public_id"]
    active = active_for(request.app)
    async with request.app[DATABASE].transaction() as tx:
        row = await store.instance_by_public_id(tx.conn, public_id)
        if row is None:
            raise _instance_not_found(public_id)
        await instances.delete_instance(request.app, tx.conn, row.id)
        active.invalidate_on_commit(tx)
        changes_for(request.app).bump_on_commit(tx)
    return status_response("Plugin instance successfully deleted.")


@routes.put("/{public_id}/status", policy=Policy.OPERATOR, body=StatusUpdate, response=StatusResponse)
async def report_status(request: web.Request) -> web.Response:
    """The controller reports connection state (contract §8.1 item 4); ``updated_on`` is left alone
    because it signals configuration changes."""
    public_id = request.match_info["public_id"]
    body = await parse_body(request, StatusUpdate)
    async with request.app[DATABASE].transaction() as tx:
        row = await store.instance_by_public_id(tx.conn, public_id)
        if row is None:
            raise _instance_not_found(public_id)
        await tx.conn.execute(
            sa.update(plugin_instances)
            .where(plugin_instances.c.id == row.id)
            .values(status=body.status, error_message=body.error_message)
        )
    return status_response("Plugin instance status successfully updated.")


# ---- channel mappings --------------------------------------------------------------------------


async def _instance_or_404(conn: AsyncConnection, public_id: str) -> store.Row:
    row = await store.instance_by_public_id(conn, public_id)
    if row is None:
        raise _instance_not_found(public_id)
    return row


async def _mapping_or_404(conn: AsyncConnection, instance_id: int, mapping_id: str) -> store.Row:
    row = await store.mapping_by_public_id(conn, mapping_id)
    # BEAT #28: a mapping of another instance is not reachable through this one.
    if row is None or row.plugin_instance_id != instance_id:
        raise NotFound.entity("Channel mapping", mapping_id)
    return row


async def _require_event(conn: AsyncConnection, event_public_id: str | None) -> None:
    if event_public_id is not None and await events_api.by_public_id(conn, event_public_id) is None:
        raise NotFound("Event not found.")


@routes.get("/{public_id}/channels", policy=Policy.AUTHENTICATED, response=list[ChannelMappingResponse])
async def list_mappings(request: web.Request) -> web.Response:
    async with request.app[DATABASE].connect() as conn:
        instance = await _instance_or_404(conn, request.match_info["public_id"])
        mappings = await store.mappings_of(conn, [instance.id])
    return json_response([store.mapping_response(m) for m in mappings[instance.id]])


@routes.post("/{public_id}/channels", policy=Policy.ADMIN, body=MappingCreate, response=StatusResponse, status=201)
async def create_mapping(request: web.Request) -> web.Response:
    body = await parse_body(request, MappingCreate)
    active = active_for(request.app)
    with conflict_on_duplicate(MAPPING_EXISTS):
        async with request.app[DATABASE].transaction() as tx:
            instance = await _instance_or_404(tx.conn, request.match_info["public_id"])
            await _require_event(tx.conn, body.event_public_id)
            if await store.mapping_exists(tx.conn, instance.id, body.channel_id):
                raise Conflict(MAPPING_EXISTS)
            await store.insert_mapping(
                tx.conn,
                instance_id=instance.id,
                channel_id=body.channel_id,
                channel_name=body.channel_name,
                direction=body.direction,
                unit=body.unit,
                event_public_id=body.event_public_id,
            )
            active.invalidate_on_commit(tx)
            changes_for(request.app).bump_on_commit(tx)
    return status_response("Channel mapping created.", status=201)


@routes.put("/{public_id}/channels/{mapping_id}", policy=Policy.ADMIN, body=MappingUpdate, response=StatusResponse)
async def update_mapping(request: web.Request) -> web.Response:
    changes = fields_set(await parse_body(request, MappingUpdate))
    active = active_for(request.app)
    async with request.app[DATABASE].transaction() as tx:
        instance = await _instance_or_404(tx.conn, request.match_info["public_id"])
        mapping = await _mapping_or_404(tx.conn, instance.id, request.match_info["mapping_id"])
        if "event_public_id" in changes:
            await _require_event(tx.conn, changes["event_public_id"])
            await tx.conn.execute(
                sa.update(channel_mappings)
                .where(channel_mappings.c.id == mapping.id)
                .values(event_public_id=changes["event_public_id"])
            )
            active.invalidate_on_commit(tx)
            changes_for(request.app).bump_on_commit(tx)
    return status_response("Channel mapping successfully updated.")


@routes.delete("/{public_id}/channels/{mapping_id}", policy=Policy.ADMIN, response=StatusResponse)
async def delete_mapping(request: web.Request) -> web.Response:
    active = active_for(request.app)
    async with request.app[DATABASE].transaction() as tx:
        instance = await _instance_or_404(tx.conn, request.match_info["public_id"])
        mapping = await _mapping_or_404(tx.conn, instance.id, request.match_info["mapping_id"])
        await tx.conn.execute(sa.delete(channel_mappings).where(channel_mappings.c.id == mapping.id))
        active.invalidate_on_commit(tx)
        changes_for(request.app).bump_on_commit(tx)
    return status_response("Channel mapping successfully deleted.")
