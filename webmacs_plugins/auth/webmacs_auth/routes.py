"""``/api/v1/auth``: login, logout and ``me`` (contract §2.6.1)."""

from __future__ import annotations

from typing import Any, Literal

import sqlalchemy as sa
from aiohttp import web
from pydantic import Field
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncConnection

import webmacs_users as users_api
from webmacs_auth.public import issue_access_token
from webmacs_auth.settings import AuthSettings
from webmacs_auth.tables import blacklist_tokens
from webmacs_auth.throttle import LoginThrottle
from webmacs_sdk.db import is_unique_violation
from webmacs_sdk.emails import EmailAddress
from webmacs_sdk.errors import ApiError, Unauthorized
from webmacs_sdk.events import UserLoggedIn
from webmacs_sdk.hooks import call_hook
from webmacs_sdk.keys import DATABASE, HOST, SETTINGS
from webmacs_sdk.ratelimit import too_many_requests
from webmacs_sdk.sessions import SESSION_COOKIE
from webmacs_sdk.specs import Policy, RouteTable
from webmacs_sdk.timefmt import utcnow
from webmacs_sdk.web import (
    RequestModel,
    ResponseModel,
    StatusResponse,
    client_address,
    json_response,
    parse_body,
    principal,
    status_response,
)

routes = RouteTable("/api/v1/auth")
#: ``credential_kind`` of a principal signed in by the browser session cookie.
SESSION_KIND = "session"
THROTTLE: web.AppKey[LoginThrottle] = web.AppKey("throttle", LoginThrottle)
DUMMY_HASH: web.AppKey[list[str]] = web.AppKey("dummy_hash", list)


class LoginRequest(RequestModel):
    email: EmailAddress
    password: str = Field(min_length=1)


def _too_many(retry_after: int) -> ApiError:
    return too_many_requests("Too many login attempts. Please try again later.", retry_after)


async def _dummy_hash(app: web.Application, rounds: int) -> str:
    """A hash of the configured cost, checked for unknown emails so timing does not reveal them."""
    cache = app[HOST].state(DUMMY_HASH, list)
    if not cache:
        cache.append(await users_api.hash_password("unknown-account-timing-equaliser", rounds))
    return cache[0]


class LoginResponse(ResponseModel):
    """LoginResponse of contract §2.5: a StatusResponse with the access token and who it is for."""

    status: Literal["success"]
    message: str
    access_token: str
    public_id: str
    username: str


@routes.post("/login", policy=Policy.PUBLIC, body=LoginRequest, response=LoginResponse)
async def login(request: web.Request) -> web.Response:
    body = await parse_body(request, LoginRequest)
    row = await check_password(request, body.email, body.password)
    token = await issue_for(request, row)
    return json_response({"status": "success", "message": "Successfully logged in.", "access_token": token,
                          "public_id": row.public_id, "username": row.username})


async def check_password(request: web.Request, email: str, password: str) -> Any:
    """The user row whose password this is; throttled (see :mod:`webmacs_auth.throttle`), and as
    slow for unknown emails.

    :raises Unauthorized: the email or password is wrong.
    :raises ApiError: 429 while this account and address, the address, or the account is throttled.
    """
    settings = request.app[HOST].section(AuthSettings)
    throttle = request.app[HOST].state(THROTTLE, lambda: LoginThrottle(settings.throttle_policy()))
    address = client_address(request, request.app[SETTINGS].trusted_proxies)
    # Reserved before the password hash runs: concurrent guesses each take a place or a 429.
    reservation = throttle.reserve(email.lower(), address)
    if isinstance(reservation, int):
        raise _too_many(reservation)

    async with request.app[DATABASE].connect() as conn:
        row = await users_api.by_email(conn, email)
    if row is None:
        rounds = users_api.bcrypt_rounds(request.app)
        await users_api.verify_password(password, await _dummy_hash(request.app, rounds))
        raise Unauthorized("Invalid email or password.")
    if not await users_api.verify_password(password, row.password_hash):
        raise Unauthorized("Invalid email or password.")
    throttle.succeeded(reservation)
    return row


async def issue_for(request: web.Request, row: Any) -> str:
    """A fresh access token for ``row``, with the ``user.logged_in`` event recorded."""
    token = await issue_access_token(request.app, row)
    host = request.app[HOST]
    async with request.app[DATABASE].transaction() as tx:
        await host.emit(tx, UserLoggedIn(username=row.username, user_public_id=row.public_id,
                                         actor=users_api.principal(row)))
    return token


async def _revoke(conn: AsyncConnection, jti: str) -> None:
    """Record the token's identity as revoked; a concurrent logout of the same token already did."""
    try:
        async with conn.begin_nested():
            await conn.execute(sa.insert(blacklist_tokens).values(token=jti, blacklisted_on=utcnow()))
    except sa_exc.IntegrityError as exc:
        if not is_unique_violation(exc):
            raise


@routes.post("/logout", policy=Policy.AUTHENTICATED, response=StatusResponse)
async def logout(request: web.Request) -> web.Response:
    caller = principal(request)
    async with request.app[DATABASE].transaction() as tx:
        if caller.credential_kind in {"jwt", SESSION_KIND} and caller.credential_id:
            await _revoke(tx.conn, caller.credential_id)
        revoked = await call_hook(request.app[HOST].hook().webmacs_on_logout, app=request.app, tx=tx, principal=caller)
        if revoked.failures:  # a credential left valid must not be reported as logged out
            raise revoked.failures[0][1]
    response = status_response("Successfully logged out.")
    if caller.credential_kind == SESSION_KIND:
        response.del_cookie(SESSION_COOKIE, path="/")
    return response


@routes.get("/me", policy=Policy.AUTHENTICATED, response=users_api.UserResponse)
async def me(request: web.Request) -> web.Response:
    caller = principal(request)
    async with request.app[DATABASE].connect() as conn:
        row = await users_api.by_id(conn, caller.user_id)
    if row is None:
        raise Unauthorized("User not found.")
    return json_response(users_api.to_response(row))
