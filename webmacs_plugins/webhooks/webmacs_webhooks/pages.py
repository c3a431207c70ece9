"""The webhooks pages of the web UI: subscriptions, and one webhook's deliveries (redeliver, test)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from webmacs_sdk.specs import Page, Policy
from webmacs_sdk.web import handler_json
from webmacs_webhooks.event_types import event_types
from webmacs_webhooks.routes import get_webhook, list_deliveries, list_webhooks


async def webhooks_context(request: web.Request) -> Mapping[str, Any]:
    return {"listing": await handler_json(list_webhooks, request),
            "event_types": sorted({spec.name for spec in event_types(request.app)})}


async def deliveries_context(request: web.Request) -> Mapping[str, Any]:
    return {"hook": await handler_json(get_webhook, request),
            "listing": await handler_json(list_deliveries, request)}


PAGES = [
    Page("/webhooks", "Webhooks", "webhooks/list.html", Policy.ADMIN, webhooks_context, menu_order=60),
    Page("/webhooks/{public_id}", "Webhook deliveries", "webhooks/deliveries.html", Policy.ADMIN,
         deliveries_context, menu_order=None),
]
