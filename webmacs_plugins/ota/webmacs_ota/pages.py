"""The OTA page of the web UI: the running version, the release check, bundle upload, new records,
the records with their apply, rollback and delete actions (the same API the page calls), and the
controllers with the version each runs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from webmacs_ota import controllers, workflow
from webmacs_ota.routes import check_updates, list_updates
from webmacs_sdk.keys import SETTINGS
from webmacs_sdk.specs import Page, Policy
from webmacs_sdk.web import handler_json


async def ota_context(request: web.Request) -> Mapping[str, Any]:
    layout = workflow.runtime(request.app).layout
    installation = None
    if layout is not None:
        installation = {"root": str(layout.root), "current": layout.link_target(layout.current),
                        "previous": layout.link_target(layout.previous)}
    return {
        "running": request.app[SETTINGS].version,
        "installation": installation,
        "check": await handler_json(check_updates, request),
        "listing": await handler_json(list_updates, request),
        "controllers": await controllers.listing(request.app),
    }


PAGES = [Page("/ota", "OTA updates", "ota/updates.html", Policy.ADMIN, ota_context, menu_order=75)]
