"""The UI's own routes: sign-in page, static assets, and the navigation and widget types as JSON."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from webmacs_sdk.keys import HOST
from webmacs_sdk.specs import Policy, RouteTable, SignInMethod, WidgetTypeSpec
from webmacs_sdk.web import json_response, optional_principal, principal
from webmacs_ui import assets
from webmacs_ui.pages import add_page_routes, page_table
from webmacs_ui.rendering import ASSETS, collect, menu, render

routes = RouteTable()


@routes.get("/signin", policy=Policy.PUBLIC)
async def sign_in_page(request: web.Request) -> web.StreamResponse:
    """The password form, and a link for each contributed sign-in method."""
    target = request.query.get("next", "/")
    if not target.startswith("/") or target.startswith("//"):
        target = "/"  # never send a signed-in user to another site
    if optional_principal(request) is not None:
        raise web.HTTPSeeOther(target)
    offered = collect(request.app, "webmacs_sign_in_methods", request=request)
    methods: list[SignInMethod] = sorted(offered, key=lambda m: m.order)
    return render(request, "ui/signin.html", {"next": target, "methods": methods}, title="Sign in",
                  pages=page_table(request.app).pages)


@routes.get("/ui/{asset:.+}", policy=Policy.PUBLIC)
async def asset(request: web.Request) -> web.StreamResponse:
    return await request.app[HOST].state(ASSETS, lambda: assets.Assets([assets.STATIC])).serve(request)


@routes.get("/api/v1/ui/menu", policy=Policy.AUTHENTICATED)
async def user_menu(request: web.Request) -> web.Response:
    items = menu(request.app, page_table(request.app).pages, principal(request))
    return json_response([{"label": i.label, "href": i.href, "order": i.order} for i in items])


@routes.get("/api/v1/ui/widget-types", policy=Policy.AUTHENTICATED)
async def widget_types(request: web.Request) -> web.Response:
    specs: list[WidgetTypeSpec] = collect(request.app, "webmacs_widget_types")
    data: list[dict[str, Any]] = [{"name": s.name, "label": s.label} for s in specs]
    return json_response(sorted(data, key=lambda d: d["name"]))


add_page_routes(routes)  # last: the catch-alls come after every fixed route of this plugin
