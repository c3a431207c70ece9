"""The API tokens page of the web UI: create (the token is shown once), list and revoke."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from webmacs_sdk.specs import Page, Policy
from webmacs_sdk.web import handler_json
from webmacs_tokens.routes import list_tokens


async def tokens_context(request: web.Request) -> Mapping[str, Any]:
    return {"tokens": await handler_json(list_tokens, request)}


PAGES = [Page("/tokens", "API tokens", "tokens/list.html", Policy.AUTHENTICATED, tokens_context, menu_order=80)]
