"""The datapoints pages of the web UI: the paged table of stored values, and the history chart."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

import webmacs_events as events_api
from webmacs_datapoints.routes import list_datapoints
from webmacs_sdk.keys import DATABASE
from webmacs_sdk.specs import Page, Policy
from webmacs_sdk.web import handler_json

#: The history page's ranges: (minutes, label), 20 minutes to 10 days.
RANGES = [(20, "20 minutes"), (60, "1 hour"), (360, "6 hours"), (1440, "1 day"), (4320, "3 days"), (14400, "10 days")]


#: The list's filters, named as the API names them, so a page's address is the API's query.
FILTERS = ("event_public_id", "from", "to")
_NAIVE_LOCAL_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?")


def _filters(request: web.Request) -> dict[str, str]:
    """The filters the form sent; a browser's date-time field has no offset, and the table shows UTC."""
    chosen = {}
    for name in FILTERS:
        value = request.query.get(name, "").strip()
        if value and name != "event_public_id" and _NAIVE_LOCAL_TIME.fullmatch(value):
            value += "Z"
        if value:
            chosen[name] = value
    return chosen


async def datapoints_context(request: web.Request) -> Mapping[str, Any]:
    async with request.app[DATABASE].connect() as conn:
        events = await events_api.choices(conn)
    filters = _filters(request)
    paging = {k: request.query[k] for k in ("page", "page_size") if k in request.query}
    api_request = request.clone(rel_url=request.rel_url.with_query({**paging, **filters}))
    return {
        "listing": await handler_json(list_datapoints, api_request),
        "events": events,
        "event_names": dict(events),
        "filters": filters,
        "shown": {k: v.removesuffix("Z")[:16] if k != "event_public_id" else v for k, v in filters.items()},
        "filter_query": urlencode(filters),
    }


async def history_context(request: web.Request) -> Mapping[str, Any]:
    async with request.app[DATABASE].connect() as conn:
        events = await events_api.choices(conn)
    return {"events": events, "ranges": RANGES}


PAGES = [
    Page("/datapoints", "Datapoints", "datapoints/list.html", Policy.AUTHENTICATED, datapoints_context, menu_order=40),
    Page("/history", "History", "datapoints/history.html", Policy.AUTHENTICATED, history_context, menu_order=35),
]
