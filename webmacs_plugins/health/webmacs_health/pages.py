"""The status page of the web UI: the server's health report and every plugin instance's status."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from webmacs_health.routes import _report
from webmacs_sdk.specs import Page, Policy


async def status_context(request: web.Request) -> Mapping[str, Any]:
    report = await _report(request.app)
    return {"report": sorted((str(k), v) for k, v in report.items()), "ok": report.get("status") == "ok"}


PAGES = [Page("/status", "Status", "health/status.html", Policy.AUTHENTICATED, status_context, menu_order=88)]
