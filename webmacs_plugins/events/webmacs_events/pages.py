"""The events page of the web UI: the list, create, edit and delete (operators and admins)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, get_args

from aiohttp import web

from webmacs_events.routes import list_events
from webmacs_events.schemas import EventType
from webmacs_sdk.specs import Page, Policy
from webmacs_sdk.web import handler_json


async def events_context(request: web.Request) -> Mapping[str, Any]:
    return {"listing": await handler_json(list_events, request), "types": get_args(EventType)}


PAGES = [Page("/events", "Events", "events/list.html", Policy.AUTHENTICATED, events_context, menu_order=20)]
