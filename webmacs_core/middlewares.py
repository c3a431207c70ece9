"""Middlewares: request id, security headers and CORS, JSON errors, authentication and route policy."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from webmacs_sdk.db import is_database_unavailable
from webmacs_sdk.errors import ApiError, AuthenticationFailed, Forbidden, ServiceUnavailable, Unauthorized
from webmacs_sdk.keys import PRINCIPAL, REQUEST_ID
from webmacs_sdk.models import Principal, Role
from webmacs_sdk.protocols import AuthBackend
from webmacs_sdk.specs import Policy, Route
from webmacs_sdk.web import json_response

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

ROUTES_KEY: web.AppKey[dict[str, Route]] = web.AppKey("webmacs.core.routes")
AUTH_BACKENDS_KEY: web.AppKey[list[AuthBackend]] = web.AppKey("webmacs.core.auth_backends")
CORS_KEY: web.AppKey[frozenset[str]] = web.AppKey("webmacs.core.cors_origins")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'",
}
_CORS_METHODS = "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT"
_REQUIRED_ROLE = {Policy.OPERATOR: Role.OPERATOR, Policy.ADMIN: Role.ADMIN}
_ROLE_MESSAGE = {Policy.OPERATOR: "Operator privileges required.", Policy.ADMIN: "Admin privileges required."}


@web.middleware
async def request_id_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every response carries ``X-Request-ID``: a well-formed incoming one, else a fresh UUID4."""
    incoming = request.headers.get("X-Request-ID", "")
    request_id = incoming if _REQUEST_ID.match(incoming) else str(uuid.uuid4())
    request[REQUEST_ID] = request_id
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        exc.headers["X-Request-ID"] = request_id
        raise
    if not response.prepared:
        response.headers["X-Request-ID"] = request_id
    return response


@web.middleware
async def headers_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Security headers on every response, CORS for the configured origins (preflight included)."""
    origin = request.headers.get("Origin")
    allowed = origin is not None and origin in request.app[CORS_KEY]
    if request.method == "OPTIONS" and origin and "Access-Control-Request-Method" in request.headers:
        if not allowed:
            response: web.StreamResponse = json_response({"detail": "Disallowed CORS origin"}, status=400)
        else:
            response = web.Response(text="OK")
            response.headers["Access-Control-Allow-Methods"] = _CORS_METHODS
            response.headers["Access-Control-Max-Age"] = "600"
            requested = request.headers.get("Access-Control-Request-Headers")
            if requested:
                response.headers["Access-Control-Allow-Headers"] = requested
    else:
        response = await handler(request)
    if response.prepared:
        return response
    response.headers.update(_SECURITY_HEADERS)
    if allowed:
        response.headers["Access-Control-Allow-Origin"] = origin  # type: ignore[assignment]
        response.headers["Access-Control-Allow-Credentials"] = "true"
        response.headers["Vary"] = "Origin"
    return response


def _error(status: int, detail: Any, headers: dict[str, str] | None = None) -> web.Response:
    return json_response({"detail": detail}, status=status, headers=headers)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every error body is ``{"detail": ...}``; database outages are 503 with ``Retry-After``."""
    try:
        return await handler(request)
    except ApiError as exc:
        return _error(exc.status, exc.detail, exc.headers)
    except web.HTTPRequestEntityTooLarge:
        return _error(413, "Request body too large.")
    except web.HTTPMethodNotAllowed as exc:
        return _error(405, "Method Not Allowed", {"Allow": ",".join(sorted(exc.allowed_methods))})
    except web.HTTPNotFound:
        return _error(404, "Not Found")
    except HttpProcessingError as exc:
        # A malformed part of the request that a handler read itself (a multipart body, say).
        return _error(400, f"Malformed request: {exc.message}"[:200])
    except web.HTTPException as exc:
        if exc.status >= 400:
            return _error(exc.status, exc.reason)
        raise
    except Exception as exc:
        if request.writer.output_size > 0:
            # A streamed body broke off: its status line is gone, so the client learns of the
            # failure from the connection closing before the body's end.
            log.exception("%s %s failed after its response started", request.method, request.path)
            if request.transport is not None:
                request.transport.close()
            raise
        if is_database_unavailable(exc):
            log.warning("database unavailable during %s %s: %s", request.method, request.path, exc)
            unavailable = ServiceUnavailable("Database unavailable, retry later.")
            return _error(503, unavailable.detail, unavailable.headers)
        log.exception("unhandled error in %s %s", request.method, request.path)
        return _error(500, "Internal Server Error")


async def authenticate(request: web.Request, credential: str) -> Principal | None:
    """Run the configured auth backends in order; the first Principal wins."""
    backends = request.app[AUTH_BACKENDS_KEY]
    for backend in backends:
        principal = await backend.authenticate(request, credential)
        if principal is not None:
            return principal
    return None


def _bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


async def _ambient(request: web.Request) -> Principal | None:
    """Ask the backends that carry their own credential (a browser's session cookie): the first
    one that finds its credential on the request decides, without the other backends seeing it."""
    for backend in request.app[AUTH_BACKENDS_KEY]:
        found = getattr(backend, "credential", None)
        credential = found(request) if found is not None else None
        if credential:
            return await backend.authenticate(request, credential)
    return None


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Enforce the matched route's policy: 401 without a valid credential, then 403 for the role."""
    route_info = request.match_info.route
    route = request.app[ROUTES_KEY].get(route_info.name or "") if route_info.name else None
    if route is None:
        return await handler(request)
    if route.websocket:
        return await _websocket_gate(request, handler, route)
    credential = _bearer(request)
    try:
        principal = await (authenticate(request, credential) if credential else _ambient(request))
    except AuthenticationFailed as exc:
        if route.policy is Policy.PUBLIC:
            return await handler(request)
        raise Unauthorized(exc.detail) from None
    if principal is None:
        if route.policy is Policy.PUBLIC:
            return await handler(request)
        raise Unauthorized("Invalid or expired token.") if credential else Unauthorized()
    request[PRINCIPAL] = principal
    required = _REQUIRED_ROLE.get(route.policy)
    if required is not None and not principal.role.at_least(required):
        raise Forbidden(_ROLE_MESSAGE[route.policy])
    return await handler(request)


async def _websocket_gate(request: web.Request, handler: Handler, route: Route) -> web.StreamResponse:
    """WebSockets authenticate ``?token=`` (or a backend's own credential); a failure is accepted,
    then closed with 1008 and a reason."""
    credential = request.query.get("token")
    reason: str | None = None
    principal: Principal | None = None
    if route.policy is not Policy.PUBLIC:
        try:
            principal = await (authenticate(request, credential) if credential else _ambient(request))
        except AuthenticationFailed as exc:
            reason = exc.ws_reason
        else:
            if principal is None:
                reason = "Invalid or expired token" if credential else "Authentication required"
            else:
                required = _REQUIRED_ROLE.get(route.policy)
                if required is not None and not principal.role.at_least(required):
                    reason = _ROLE_MESSAGE[route.policy].rstrip(".")
    if reason is not None:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.close(code=1008, message=reason.encode())
        return ws
    if principal is not None:
        request[PRINCIPAL] = principal
    return await handler(request)
