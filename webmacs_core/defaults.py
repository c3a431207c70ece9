"""The essential built-in plugin: the in-process live bus and the plugin introspection route.

It cannot be blocked. Deny-by-default authentication needs no hook: a route whose policy
asks for a principal answers 401 when no auth backend produced one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web

from webmacs_core.keys import PLUGIN_MANAGER
from webmacs_sdk.livebus import MemoryLiveBus
from webmacs_sdk.markers import hookimpl
from webmacs_sdk.specs import LiveBusSpec, Policy, Route, RouteTable
from webmacs_sdk.web import json_response

routes = RouteTable("/api/v1/system")


@routes.get("/plugins", policy=Policy.ADMIN)
async def loaded_plugins(request: web.Request) -> web.Response:
    """What is installed and what happened to it: loaded, blocked or failed (with the error)."""
    return json_response([record.as_dict() for record in request.app[PLUGIN_MANAGER].report()])


@asynccontextmanager
async def memory_bus(app: web.Application) -> AsyncIterator[MemoryLiveBus]:
    yield MemoryLiveBus()


@hookimpl
def webmacs_register_live_buses() -> list[LiveBusSpec]:
    return [LiveBusSpec("memory", memory_bus)]


@hookimpl
def webmacs_register_routes() -> list[Route]:
    return list(routes)
