"""The users pages of the web UI: accounts and roles (admins), and everyone's own account."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from webmacs_sdk.models import Role
from webmacs_sdk.specs import Page, Policy
from webmacs_sdk.web import handler_json
from webmacs_users.routes import list_users


async def users_context(request: web.Request) -> Mapping[str, Any]:
    return {"listing": await handler_json(list_users, request), "roles": [r.value for r in Role]}


async def account_context(request: web.Request) -> Mapping[str, Any]:
    return {}


PAGES = [
    Page("/users", "Users", "users/list.html", Policy.ADMIN, users_context, menu_order=75),
    Page("/account", "My account", "users/account.html", Policy.AUTHENTICATED, account_context, menu_order=85),
]
