"""The overview page's server side: the live cards and chart are filled by ``static/live.js``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from webmacs_ui import assets


async def overview_context(request: web.Request) -> Mapping[str, Any]:
    return {"charts": assets.charts_available()}
