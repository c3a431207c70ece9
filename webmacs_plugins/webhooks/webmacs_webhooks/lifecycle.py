"""The dispatcher's lifetime: started with the app, stopped (handing interrupted attempts back
to the schedule) before the database closes."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from webmacs_webhooks.runtime import runtime


async def dispatcher_ctx(app: web.Application) -> AsyncIterator[None]:
    dispatcher = runtime(app).dispatcher
    dispatcher.start()
    yield
    await dispatcher.stop()
