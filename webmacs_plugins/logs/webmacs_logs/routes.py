"""``/api/v1/logging`` (contract §2.6.8): list, create, get, update; no delete."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import sqlalchemy as sa
from aiohttp import web
from pydantic import Field

from webmacs_logs import store
from webmacs_logs.tables import log_entries
from webmacs_sdk.db import list_page, row_or_404
from webmacs_sdk.errors import NotFound
from webmacs_sdk.keys import DATABASE
from webmacs_sdk.specs import Policy, RouteTable
from webmacs_sdk.web import (
    Page,
    PageParams,
    RequestModel,
    ResponseModel,
    StatusResponse,
    fields_set,
    json_response,
    parse_body,
    principal,
    status_response,
)

routes = RouteTable("/api/v1/logging")

LoggingType = Literal["info", "warning", "error"]


class LogCreate(RequestModel):
    content: str = Field(min_length=1, max_length=500)
    logging_type: LoggingType = "info"


class LogEntryResponse(ResponseModel):
    """LogEntryResponse of contract §2.5 (``store.to_response``)."""

    public_id: str
    content: str
    logging_type: LoggingType | None
    status_type: Literal["read", "unread"] | None
    created_on: datetime | None
    user_public_id: str


class LogUpdate(RequestModel):
    status_type: Literal["read", "unread"] | None = None
    content: str | None = Field(default=None, min_length=1, max_length=500)


@routes.get("", policy=Policy.AUTHENTICATED, query=PageParams, response=Page[LogEntryResponse])
async def list_entries(request: web.Request) -> web.Response:
    query = sa.select(log_entries).order_by(log_entries.c.created_on.desc(), log_entries.c.id.desc())
    return await list_page(request, query, store.to_response)


@routes.post("", policy=Policy.OPERATOR, body=LogCreate, response=StatusResponse, status=201)
async def create_entry(request: web.Request) -> web.Response:
    caller = principal(request)
    body = await parse_body(request, LogCreate)
    async with request.app[DATABASE].transaction() as tx:
        await store.write_entry(tx.conn, body.content, body.logging_type, caller.public_id)
    return status_response("Log entry successfully created.", status=201)


@routes.get("/{public_id}", policy=Policy.AUTHENTICATED, response=LogEntryResponse)
async def get_entry(request: web.Request) -> web.Response:
    row = await row_or_404(request.app[DATABASE], store.by_public_id, request.match_info["public_id"], "LogEntry")
    return json_response(store.to_response(row))


@routes.put("/{public_id}", policy=Policy.OPERATOR, body=LogUpdate, response=StatusResponse)
async def update_entry(request: web.Request) -> web.Response:
    public_id = request.match_info["public_id"]
    body = await parse_body(request, LogUpdate)
    values = {k: v for k, v in fields_set(body).items() if v is not None}
    async with request.app[DATABASE].transaction() as tx:
        row = (await tx.conn.execute(sa.select(log_entries.c.id).where(log_entries.c.public_id == public_id))).first()
        if row is None:
            raise NotFound.entity("LogEntry", public_id)
        if values:
            await tx.conn.execute(sa.update(log_entries).where(log_entries.c.id == row.id).values(**values))
    return status_response("LogEntry successfully updated.")
