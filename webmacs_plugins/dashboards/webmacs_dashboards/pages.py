"""The dashboards pages of the web UI: the list, and one dashboard's widget grid, edited in place."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

import webmacs_events as events_api
from webmacs_dashboards import store
from webmacs_dashboards.permissions import allowed
from webmacs_dashboards.routes import _widget_types, get_dashboard, list_dashboards
from webmacs_sdk.keys import DATABASE
from webmacs_sdk.specs import Page, Policy
from webmacs_sdk.web import handler_json, principal


async def dashboards_context(request: web.Request) -> Mapping[str, Any]:
    return {"listing": await handler_json(list_dashboards, request)}


async def dashboard_context(request: web.Request) -> Mapping[str, Any]:
    dashboard = await handler_json(get_dashboard, request)
    async with request.app[DATABASE].connect() as conn:
        row = await store.by_public_id(conn, dashboard["public_id"])
        events = await events_api.choices(conn)
    caller = principal(request)
    return {
        "dashboard": dashboard,
        "events": events,
        "event_names": dict(events),
        "widget_types": _widget_types(request),
        "can_edit": caller.role.value != "viewer" and allowed(request, caller, "dashboard.update", row),
    }


PAGES = [
    Page("/dashboards", "Dashboards", "dashboards/list.html", Policy.AUTHENTICATED, dashboards_context, menu_order=15),
    Page("/dashboards/{public_id}", "Dashboard", "dashboards/view.html", Policy.AUTHENTICATED, dashboard_context,
         menu_order=None),
]
