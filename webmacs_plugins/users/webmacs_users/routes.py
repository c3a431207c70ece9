"""``/api/v1/users`` (contract §2.6.4), with the BEAT fixes: 409 on duplicate username,
users may read only themselves (others get 404), the last admin can't be removed or demoted."""

from __future__ import annotations

import sqlalchemy as sa
from aiohttp import web

from webmacs_sdk.db import conflict_on_duplicate, list_page
from webmacs_sdk.errors import Conflict, Forbidden, NotFound
from webmacs_sdk.events import UserDeleted
from webmacs_sdk.keys import DATABASE, HOST
from webmacs_sdk.models import Role
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
from webmacs_users import store
from webmacs_users.passwords import hash_password
from webmacs_users.schemas import UserCreate, UserResponse, UserUpdate
from webmacs_users.settings import UsersSettings
from webmacs_users.tables import users

routes = RouteTable("/api/v1/users")
DUPLICATE = "User already exists."


def _not_found(public_id: str) -> NotFound:
    return NotFound.entity("User", public_id)


@routes.get("", policy=Policy.ADMIN, query=PageParams, response=Page[UserResponse])
async def list_users(request: web.Request) -> web.Response:
    return await list_page(request, sa.select(users).order_by(users.c.id), store.to_response)


@routes.post("", policy=Policy.ADMIN, body=UserCreate, response=StatusResponse, status=201)
async def create_user(request: web.Request) -> web.Response:
    body = await parse_body(request, UserCreate)
    rounds = request.app[HOST].section(UsersSettings).bcrypt_rounds
    password_hash = await hash_password(body.password, rounds)
    with conflict_on_duplicate(DUPLICATE):
        async with request.app[DATABASE].transaction() as tx:
            if await store.taken(tx.conn, email=body.email, username=body.username):
                raise Conflict(DUPLICATE)
            await store.insert(tx.conn, email=body.email, username=body.username,
                               password_hash=password_hash, role=body.role)
    return status_response("User successfully created.", status=201)


@routes.get("/{public_id}", policy=Policy.AUTHENTICATED, response=UserResponse)
async def get_user(request: web.Request) -> web.Response:
    public_id = request.match_info["public_id"]
    caller = principal(request)
    # Only yourself, unless admin: other users' emails are nobody else's business (BOLA → 404).
    if not caller.is_admin and caller.public_id != public_id:
        raise _not_found(public_id)
    async with request.app[DATABASE].connect() as conn:
        row = await store.by_public_id(conn, public_id)
    if row is None:
        raise _not_found(public_id)
    return json_response(store.to_response(row))


@routes.put("/{public_id}", policy=Policy.AUTHENTICATED, body=UserUpdate, response=StatusResponse)
async def update_user(request: web.Request) -> web.Response:
    public_id = request.match_info["public_id"]
    caller = principal(request)
    body = await parse_body(request, UserUpdate)
    changes = fields_set(body)
    if not caller.is_admin and caller.public_id != public_id:
        raise Forbidden("You can only update your own profile.")
    if "role" in changes and not caller.is_admin:
        raise Forbidden("Only admins can change user roles.")
    values: dict[str, object] = {k: v for k, v in changes.items() if v is not None}
    if "role" in values:
        values["role"] = Role(values["role"]).value  # type: ignore[arg-type]
    if "password" in values:
        rounds = request.app[HOST].section(UsersSettings).bcrypt_rounds
        values["password_hash"] = await hash_password(str(values.pop("password")), rounds)
        if caller.public_id == public_id:
            values["password_change_required"] = False  # its holder chose it: no longer one-time
    with conflict_on_duplicate(DUPLICATE):
        async with request.app[DATABASE].transaction() as tx:
            row = await store.by_public_id(tx.conn, public_id)
            if row is None:
                raise _not_found(public_id)
            if await store.taken(tx.conn, email=values.get("email"), username=values.get("username"),  # type: ignore[arg-type]
                                 exclude_id=row.id):
                raise Conflict(DUPLICATE)
            demoting = row.role == Role.ADMIN.value and values.get("role", Role.ADMIN.value) != Role.ADMIN.value
            if demoting and await store.count_admins(tx.conn) <= 1:
                raise Conflict("Cannot demote the last admin.")
            if "password_hash" in values or values.get("role", row.role) != row.role:
                values["token_epoch"] = store.next_token_epoch()
            if values:
                await tx.conn.execute(sa.update(users).where(users.c.id == row.id).values(**values))
    return status_response("User successfully updated.")


@routes.delete("/{public_id}", policy=Policy.ADMIN, response=StatusResponse)
async def delete_user(request: web.Request) -> web.Response:
    public_id = request.match_info["public_id"]
    caller = principal(request)
    async with request.app[DATABASE].transaction() as tx:
        row = await store.by_public_id(tx.conn, public_id)
        if row is None:
            raise _not_found(public_id)
        if row.id == caller.user_id:
            raise Conflict("You cannot delete your own account.")
        if row.role == Role.ADMIN.value and await store.count_admins(tx.conn) <= 1:
            raise Conflict("Cannot delete the last admin.")
        # What the user owned (events, experiments, dashboards...) goes to the admin deleting
        # them, so removing an account never wipes the data it created.
        await store.rehome_owned_rows(tx.conn, request.app[HOST].hook(), row.public_id, caller.public_id)
        await request.app[HOST].emit(
            tx, UserDeleted(user_public_id=row.public_id, successor_public_id=caller.public_id, actor=caller)
        )
        await tx.conn.execute(sa.delete(users).where(users.c.id == row.id))
    return status_response("User successfully deleted.")
