"""``/api/v1/tokens`` (contract §2.6.3): any user manages their own tokens; admins see all."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from aiohttp import web
from pydantic import Field, field_validator

from webmacs_sdk.db import list_page, new_public_id
from webmacs_sdk.errors import Forbidden, NotFound
from webmacs_sdk.fields import UtcDatetime
from webmacs_sdk.keys import DATABASE
from webmacs_sdk.specs import Policy, RouteTable
from webmacs_sdk.timefmt import iso_z, utcnow
from webmacs_sdk.web import (
    Page,
    PageParams,
    RequestModel,
    ResponseModel,
    StatusResponse,
    json_response,
    parse_body,
    principal,
    status_response,
)
from webmacs_tokens.secrets import digest, generate
from webmacs_tokens.tables import api_tokens
from webmacs_users import users

routes = RouteTable("/api/v1/tokens")


class TokenCreate(RequestModel):
    name: str = Field(min_length=1, max_length=255)
    expires_at: UtcDatetime | None = None

    @field_validator("expires_at")
    @classmethod
    def _future(cls, value: datetime | None) -> datetime | None:
        if value is not None and value <= utcnow():
            raise ValueError("expires_at must be in the future")
        return value


class ApiTokenResponse(ResponseModel):
    """ApiTokenResponse of contract §2.5 (``_to_response``): a token as listed, never its secret."""

    public_id: str
    name: str
    last_used_at: datetime | None
    expires_at: datetime | None
    created_at: datetime | None
    user_public_id: str


class ApiTokenCreatedResponse(ResponseModel):
    """ApiTokenCreatedResponse of contract §2.5: the plaintext ``token``, shown this once."""

    public_id: str
    name: str
    token: str
    expires_at: datetime | None
    created_at: datetime | None


def _to_response(row: sa.Row[Any]) -> dict[str, Any]:
    """A token as listed: never its secret."""
    return {
        "public_id": row.public_id,
        "name": row.name,
        "last_used_at": iso_z(row.last_used_at),
        "expires_at": iso_z(row.expires_at),
        "created_at": iso_z(row.created_at),
        "user_public_id": row.user_public_id,
    }


@routes.get("", policy=Policy.AUTHENTICATED, query=PageParams, response=Page[ApiTokenResponse])
async def list_tokens(request: web.Request) -> web.Response:
    caller = principal(request)
    query = (
        sa.select(api_tokens, users.c.public_id.label("user_public_id"))
        .join(users, users.c.id == api_tokens.c.user_id)
        .order_by(api_tokens.c.created_at.desc(), api_tokens.c.id.desc())
    )
    if not caller.is_admin:
        query = query.where(api_tokens.c.user_id == caller.user_id)
    return await list_page(request, query, _to_response)


@routes.post("", policy=Policy.AUTHENTICATED, body=TokenCreate, response=ApiTokenCreatedResponse, status=201)
async def create_token(request: web.Request) -> web.Response:
    caller = principal(request)
    body = await parse_body(request, TokenCreate)
    token = generate()
    values = {
        "public_id": new_public_id(),
        "name": body.name,
        "token_hash": digest(token),
        "user_id": caller.user_id,
        "expires_at": body.expires_at,
        "created_at": utcnow(),
    }
    async with request.app[DATABASE].transaction() as tx:
        await tx.conn.execute(sa.insert(api_tokens).values(**values))
    return json_response(
        {
            "public_id": values["public_id"],
            "name": body.name,
            "token": token,
            "expires_at": iso_z(body.expires_at),
            "created_at": iso_z(values["created_at"]),  # type: ignore[arg-type]
        },
        status=201,
    )


@routes.delete("/{public_id}", policy=Policy.AUTHENTICATED, response=StatusResponse)
async def delete_token(request: web.Request) -> web.Response:
    caller = principal(request)
    public_id = request.match_info["public_id"]
    async with request.app[DATABASE].transaction() as tx:
        row = (await tx.conn.execute(sa.select(api_tokens).where(api_tokens.c.public_id == public_id))).first()
        if row is None:
            raise NotFound("API token not found.")
        if row.user_id != caller.user_id and not caller.is_admin:
            raise Forbidden("Cannot delete another user's token.")
        await tx.conn.execute(sa.delete(api_tokens).where(api_tokens.c.id == row.id))
    return status_response("API token deleted.")
