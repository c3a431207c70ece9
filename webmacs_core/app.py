"""``create_app``: the whole application is shaped here, before it starts, and never mutated later."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import timedelta

from aiohttp import web

from webmacs_core import migrate
from webmacs_core.database import open_database
from webmacs_core.host import CoreHost
from webmacs_core.ingestion import IngestionPipeline
from webmacs_core.keys import CORE_HOST, PLUGIN_MANAGER
from webmacs_core.middlewares import (
    AUTH_BACKENDS_KEY,
    CORS_KEY,
    ROUTES_KEY,
    auth_middleware,
    error_middleware,
    headers_middleware,
    request_id_middleware,
)
from webmacs_core.plugins import WebmacsPluginManager, build_plugin_manager
from webmacs_core.settings import Settings
from webmacs_sdk.hooks import call_hook
from webmacs_sdk.keys import DATABASE, HOST, SETTINGS
from webmacs_sdk.plugindir import add_to_import_path
from webmacs_sdk.specs import AuthBackendSpec, CleanupContextSpec, Route
from webmacs_sdk.web import refuse_nul

log = logging.getLogger(__name__)

NOTIFY_GRACE_SECONDS = 5.0



def plugin_manager_for(settings: Settings) -> WebmacsPluginManager:
    """The manager ``serve`` uses: entry points, minus ``WEBMACS_DISABLE_PLUGINS``.

    Wheels uploaded through the plugin manager live outside the server's environment, in
    ``<plugin_dir>/site-packages``; that folder joins the search path before discovery.
    """
    add_to_import_path(settings.plugin_dir)
    return build_plugin_manager(
        entrypoints=not settings.disable_plugin_autoload,
        blocked=settings.disable_plugins,
        strict=settings.strict_plugins,
    )


def create_app(settings: Settings | None = None, *, pm: WebmacsPluginManager | None = None) -> web.Application:
    """Build the application: settings, plugins, routes, middlewares and every cleanup context.

    :raises PluginConflictError: two plugins claim one backend name, or configuration
        names a backend nobody registered.
    """
    settings = settings or Settings.load()
    pm = pm or plugin_manager_for(settings)
    app = web.Application(
        middlewares=[request_id_middleware, headers_middleware, error_middleware, auth_middleware],
        client_max_size=settings.max_body_bytes,
    )
    host = CoreHost(app, pm, settings)
    for section in pm.collect("webmacs_settings_model"):
        # Every plugin's settings are read now, so a bad value stops the start with its message.
        host.section(section.cls)
    app[SETTINGS] = settings
    app[PLUGIN_MANAGER] = pm
    app[HOST] = host
    app[CORE_HOST] = host
    app[DATABASE] = open_database(settings)
    app[CORS_KEY] = frozenset(settings.cors_origins)
    app[AUTH_BACKENDS_KEY] = [spec.factory(app) for spec in _auth_specs(pm, settings)]
    app[ROUTES_KEY] = _add_routes(app, pm.collect("webmacs_register_routes"))

    storage_specs = pm.named("webmacs_register_storage_backends")
    # With no storage plugin installed at all the server still serves everything else.
    storage_spec = (
        pm.select("webmacs_register_storage_backends", settings.storage_backend, "storage backend")
        if storage_specs
        else None
    )
    bus_spec = pm.select("webmacs_register_live_buses", settings.live_bus, "live bus")

    async def database_ctx(app: web.Application) -> AsyncIterator[None]:
        if settings.auto_migrate:
            await migrate.upgrade(app[DATABASE], pm)
        yield
        await app[DATABASE].engine.dispose()

    async def backends_ctx(app: web.Application) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            storage = None if storage_spec is None else await stack.enter_async_context(storage_spec.factory(app))
            host.attach(storage=storage, live_bus=await stack.enter_async_context(bus_spec.factory(app)))
            yield

    async def pipeline_ctx(app: web.Application) -> AsyncIterator[None]:
        pipeline = IngestionPipeline(
            app,
            pm.collect("webmacs_ingest_filters"),
            pm.hook.webmacs_on_datapoints,
            max_skew=timedelta(seconds=settings.max_clock_skew_seconds),
            max_age=timedelta(days=settings.max_datapoint_age_days),
            queue_size=settings.notify_queue_size,
        )
        host.pipeline = pipeline
        worker = host.spawn(pipeline.run_notifier(), name="webmacs.notifier")
        yield
        await pipeline.drain()
        # Notifications still queued get a grace period; a plugin stuck forever must not
        # keep the server from stopping.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(worker), timeout=NOTIFY_GRACE_SECONDS)
        await host.cancel_tasks()

    app.cleanup_ctx.append(database_ctx)
    app.cleanup_ctx.append(backends_ctx)
    app.cleanup_ctx.append(pipeline_ctx)
    specs: list[CleanupContextSpec] = pm.collect("webmacs_cleanup_ctx")
    for spec in sorted(specs, key=lambda s: s.order):
        app.cleanup_ctx.append(spec.ctx)
    app.on_startup.append(_notify_startup)
    app.on_startup.append(_freeze_startup_objects)
    return app


async def _freeze_startup_objects(app: web.Application) -> None:
    """Move everything alive after startup (modules, plugins, metadata) out of the collector's
    reach: a full collection walking those ~100k objects stalls live frames by tens of ms."""
    gc.collect()
    gc.freeze()


async def _notify_startup(app: web.Application) -> None:
    await call_hook(app[PLUGIN_MANAGER].hook.webmacs_startup, app=app)


def _auth_specs(pm: WebmacsPluginManager, settings: Settings) -> list[AuthBackendSpec]:
    table: dict[str, AuthBackendSpec] = pm.named("webmacs_register_auth_backends")
    if not settings.auth_backends:
        return sorted(table.values(), key=lambda spec: spec.priority)
    return [pm.select("webmacs_register_auth_backends", name, "auth backend") for name in settings.auth_backends]


def _add_routes(app: web.Application, routes: list[Route]) -> dict[str, Route]:
    """Register each route under both slash spellings; the policy table is keyed by route name.
    Every handler refuses a NUL character in its path and query parameters."""
    table: dict[str, Route] = {}
    for index, route in enumerate(routes):
        name = f"r{index}.{route.name or 'route'}"
        table[name] = route
        handler = refuse_nul(route.handler)
        app.router.add_route(route.method, route.path, handler, name=name)
        if not route.path.endswith("/") and not route.websocket:
            alias = f"{name}.slash"
            table[alias] = route
            app.router.add_route(route.method, route.path + "/", handler, name=alias)
    return table


def route_table(app: web.Application) -> dict[str, Route]:
    """Every registered route with its policy (the role-matrix test enumerates this)."""
    table: dict[str, Route] = app[ROUTES_KEY]
    return dict(table)


__all__ = ["CORE_HOST", "PLUGIN_MANAGER", "create_app", "route_table"]


