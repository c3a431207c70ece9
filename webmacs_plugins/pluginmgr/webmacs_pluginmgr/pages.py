"""The plugins page of the web UI: device instances, their channel mappings, config forms generated
from each driver's config schema, and wheel upload with progress."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

import webmacs_events as events_api
from webmacs_pluginmgr.packages_api import list_packages
from webmacs_pluginmgr.routes import list_available, list_instances
from webmacs_sdk.keys import DATABASE
from webmacs_sdk.specs import Page, Policy
from webmacs_sdk.web import handler_json


async def plugins_context(request: web.Request) -> Mapping[str, Any]:
    async with request.app[DATABASE].connect() as conn:
        events = await events_api.choices(conn)
    return {
        "listing": await handler_json(list_instances, request),
        "available": await handler_json(list_available, request),
        "packages": await handler_json(list_packages, request),
        "events": [("", "(not mapped)"), *events],
        "event_names": dict(events),
    }


PAGES = [Page("/plugins", "Plugins", "pluginmgr/plugins.html", Policy.AUTHENTICATED, plugins_context, menu_order=70)]
