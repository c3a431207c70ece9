"""The experiments page of the web UI: start, stop, rename, delete, and download a run's CSV."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from webmacs_experiments.routes import list_experiments
from webmacs_sdk.specs import Page, Policy
from webmacs_sdk.web import handler_json


async def experiments_context(request: web.Request) -> Mapping[str, Any]:
    listing = await handler_json(list_experiments, request)
    running = [e for e in listing["data"] if e["stopped_on"] is None]
    return {"listing": listing, "running": running}


PAGES = [Page("/experiments", "Experiments", "experiments/list.html", Policy.AUTHENTICATED, experiments_context,
              menu_order=30)]
