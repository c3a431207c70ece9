"""Example plugin: a "Plant status" page in the web UI, from one hook and one template."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from webmacs_health import contributed_fields
from webmacs_sdk import Page, Policy, hookimpl

__all__ = ["webmacs_ui_pages"]


async def status_context(request: web.Request) -> Mapping[str, Any]:
    """The template's variables: every field plugins contribute to the health report."""
    health = await contributed_fields(request.app)
    return {"fields": sorted((str(key), value) for key, value in health.items())}


@hookimpl(optionalhook=True)
def webmacs_ui_pages() -> list[Page]:
    return [Page("/plant-status", "Plant status", "plant_status/status.html", Policy.AUTHENTICATED,
                 status_context, menu_order=80)]
