"""The live page, its static assets, and the menu and widget types for the signed-in user."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp import web

from webmacs_sdk.keys import HOST, SETTINGS
from webmacs_sdk.models import Principal, Role
from webmacs_sdk.specs import MenuItem, Policy, RouteTable, WidgetTypeSpec
from webmacs_sdk.web import json_response, principal
from webmacs_ui.rendering import environment, panel_templates

routes = RouteTable()
STATIC = Path(__file__).parent / "static"
_ASSETS = {"app.js": "application/javascript", "app.css": "text/css"}
_RANK = {Policy.PUBLIC: 0, Policy.AUTHENTICATED: 1, Policy.OPERATOR: 2, Policy.ADMIN: 3}
_ROLE_RANK = {Role.VIEWER: 1, Role.OPERATOR: 2, Role.ADMIN: 3}


def menu(app: web.Application, caller: Principal | None) -> list[MenuItem]:
    rank = _ROLE_RANK[caller.role] if caller else 0
    items = [item for items in app[HOST].hook().webmacs_menu_items() for item in items or ()]
    return sorted((i for i in items if _RANK[i.policy] <= rank), key=lambda i: (i.order, i.label))


@routes.get("/", policy=Policy.PUBLIC)
async def index(request: web.Request) -> web.Response:
    env = environment(request.app)
    html = env.get_template("index.html").render(
        version=request.app[SETTINGS].version, menu=menu(request.app, None), panels=panel_templates(env)
    )
    return web.Response(text=html, content_type="text/html")


@routes.get("/ui/{asset}", policy=Policy.PUBLIC)
async def asset(request: web.Request) -> web.Response:
    name = request.match_info["asset"]
    if name not in _ASSETS:
        raise web.HTTPNotFound()
    return web.Response(body=(STATIC / name).read_bytes(), content_type=_ASSETS[name],
                        headers={"Cache-Control": "no-cache"})


@routes.get("/api/v1/ui/menu", policy=Policy.AUTHENTICATED)
async def user_menu(request: web.Request) -> web.Response:
    items = menu(request.app, principal(request))
    return json_response([{"label": i.label, "href": i.href, "order": i.order} for i in items])


@routes.get("/api/v1/ui/widget-types", policy=Policy.AUTHENTICATED)
async def widget_types(request: web.Request) -> web.Response:
    specs: list[WidgetTypeSpec] = [s for group in request.app[HOST].hook().webmacs_widget_types() for s in group or ()]
    data: list[dict[str, Any]] = [{"name": s.name, "label": s.label} for s in specs]
    return json_response(sorted(data, key=lambda d: d["name"]))
