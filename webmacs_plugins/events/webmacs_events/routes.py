"""``/api/v1/events`` (contract §2.6.5), with the BEAT fixes: 409 on a duplicate name (create
and rename, races included) and ``min_value <= max_value`` enforced (422)."""

from __future__ import annotations

import sqlalchemy as sa
from aiohttp import web

from webmacs_events import store
from webmacs_events.schemas import EventCreate, EventResponse, EventUpdate
from webmacs_events.tables import events
from webmacs_sdk.db import conflict_on_duplicate, list_page, row_or_404
from webmacs_sdk.errors import Conflict, NotFound, ValidationFailed
from webmacs_sdk.keys import DATABASE
from webmacs_sdk.specs import Policy, RouteTable
from webmacs_sdk.web import (
    Page,
    PageParams,
    StatusResponse,
    fields_set,
    json_response,
    parse_body,
    principal,
    status_response,
)

routes = RouteTable("/api/v1/events")


def _not_found(public_id: str) -> NotFound:
    return NotFound.entity("Event", public_id)


@routes.get("", policy=Policy.AUTHENTICATED, query=PageParams, response=Page[EventResponse])
async def list_events(request: web.Request) -> web.Response:
    return await list_page(request, sa.select(events).order_by(events.c.id), store.to_response)


@routes.post("", policy=Policy.OPERATOR, body=EventCreate, response=StatusResponse, status=201)
async def create_event(request: web.Request) -> web.Response:
    body = await parse_body(request, EventCreate)
    owner = principal(request).public_id
    with conflict_on_duplicate(store.DUPLICATE):
        async with request.app[DATABASE].transaction() as tx:
            await store.create(tx.conn, name=body.name, min_value=body.min_value, max_value=body.max_value,
                               unit=body.unit, type=body.type, user_public_id=owner)
    return status_response("Event successfully created.", status=201)


@routes.get("/{public_id}", policy=Policy.AUTHENTICATED, response=EventResponse)
async def get_event(request: web.Request) -> web.Response:
    row = await row_or_404(request.app[DATABASE], store.by_public_id, request.match_info["public_id"], "Event")
    return json_response(store.to_response(row))


@routes.put("/{public_id}", policy=Policy.OPERATOR, body=EventUpdate, response=StatusResponse)
async def update_event(request: web.Request) -> web.Response:
    public_id = request.match_info["public_id"]
    body = await parse_body(request, EventUpdate)
    # Partial update; an explicit null for a required column changes nothing.
    values = {k: v for k, v in fields_set(body).items() if v is not None}
    with conflict_on_duplicate(store.DUPLICATE):
        async with request.app[DATABASE].transaction() as tx:
            row = await store.by_public_id(tx.conn, public_id)
            if row is None:
                raise _not_found(public_id)
            low = values.get("min_value", row.min_value)
            high = values.get("max_value", row.max_value)
            if low > high:
                raise ValidationFailed.single(
                    ["body"], "Value error, min_value must be less than or equal to max_value"
                )
            if "name" in values and await store.name_taken(tx.conn, values["name"], exclude_id=row.id):
                raise Conflict(store.DUPLICATE)
            if values:
                await tx.conn.execute(sa.update(events).where(events.c.id == row.id).values(**values))
    return status_response("Event successfully updated.")


@routes.delete("/{public_id}", policy=Policy.OPERATOR, response=StatusResponse)
async def delete_event(request: web.Request) -> web.Response:
    public_id = request.match_info["public_id"]
    async with request.app[DATABASE].transaction() as tx:
        if not await store.delete_many(request.app, tx.conn, [public_id]):
            raise _not_found(public_id)
    return status_response("Event successfully deleted.")
