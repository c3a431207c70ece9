"""The fields other plugins contribute to the health report through ``webmacs_health``."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from webmacs_sdk.hooks import call_hook
from webmacs_sdk.keys import HOST


async def contributed_fields(app: web.Application) -> dict[str, Any]:
    """Fields contributed by ``webmacs_health`` implementations, merged in registration order.

    A failing implementation is logged and skipped (``call_hook``); with no implementation
    registered at all there is nothing to merge.
    """
    caller = getattr(app[HOST].hook(), "webmacs_health", None)
    if caller is None:
        return {}
    merged: dict[str, Any] = {}
    for fields in (await call_hook(caller, app=app)).results:
        merged.update(fields)
    return merged
