"""The rules page of the web UI: threshold rules with their operators, hysteresis, duration and cooldown."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

import webmacs_events as events_api
import webmacs_webhooks as webhooks_api
from webmacs_rules.registry import registry
from webmacs_rules.routes import list_rules
from webmacs_sdk.keys import DATABASE
from webmacs_sdk.specs import Page, Policy
from webmacs_sdk.web import handler_json


async def rules_context(request: web.Request) -> Mapping[str, Any]:
    async with request.app[DATABASE].connect() as conn:
        events = await events_api.choices(conn)
    return {
        "listing": await handler_json(list_rules, request),
        "events": events,
        "event_names": dict(events),
        "operators": [(name, name + (" (needs upper threshold)" if spec.needs_high else ""))
                      for name, spec in sorted(registry(request.app).operators.items())],
        "actions": sorted(registry(request.app).actions),
        "event_types": sorted({spec.name for spec in webhooks_api.event_types(request.app)}),
    }


PAGES = [Page("/rules", "Rules", "rules/list.html", Policy.OPERATOR, rules_context, menu_order=50)]
