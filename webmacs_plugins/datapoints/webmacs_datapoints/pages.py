"""The datapoints pages of the web UI: the paged table of stored values, and the history chart."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from webmacs_datapoints.routes import list_datapoints
from webmacs_events import public as events_public
from webmacs_sdk.keys import DATABASE
from webmacs_sdk.specs import Page, Policy
from webmacs_sdk.web import handler_json

#: The history page's ranges: (minutes, label), 20 minutes to 10 days.
RANGES = [(20, "20 minutes"), (60, "1 hour"), (360, "6 hours"), (1440, "1 day"), (4320, "3 days"), (14400, "10 days")]


async def datapoints_context(request: web.Request) -> Mapping[str, Any]:
    async with request.app[DATABASE].connect() as conn:
        names = dict(await events_public.choices(conn))
    return {"listing": await handler_json(list_datapoints, request), "event_names": names}


async def history_context(request: web.Request) -> Mapping[str, Any]:
    async with request.app[DATABASE].connect() as conn:
        events = await events_public.choices(conn)
    return {"events": events, "ranges": RANGES}


PAGES = [
    Page("/datapoints", "Datapoints", "datapoints/list.html", Policy.AUTHENTICATED, datapoints_context, menu_order=40),
    Page("/history", "History", "datapoints/history.html", Policy.AUTHENTICATED, history_context, menu_order=35),
]
