"""Pages contributed through ``webmacs_ui_pages``: routing, access, and the error pages.

Two catch-all routes (``/{page}`` and ``/{page}/{public_id}``) serve every contributed page; aiohttp
tries them only after every fixed route, so a page never shadows an API path. Their core policy
is public: the page's own policy is checked here, so a signed-out visitor is sent to sign in
(with ``next``) and a lower role sees the 403 page instead of a JSON error.
"""

from __future__ import annotations

from urllib.parse import quote

import attrs
from aiohttp import web

from webmacs_sdk.errors import ApiError
from webmacs_sdk.keys import HOST
from webmacs_sdk.specs import Page, Policy, RouteTable
from webmacs_sdk.web import optional_principal
from webmacs_ui.rendering import allowed, collect, render

#: Where a user with a one-time password is sent until they chose their own (the users plugin's page).
ACCOUNT_PAGE = "/account"


@attrs.frozen
class PageTable:
    """Every contributed page, by path; ``{...}`` in a path matches any one segment."""

    pages: tuple[Page, ...]

    def match(self, path: str) -> Page | None:
        wanted = path.rstrip("/").split("/") if path != "/" else [""]
        for page in self.pages:
            parts = page.path.rstrip("/").split("/") if page.path != "/" else [""]
            if len(parts) == len(wanted) and all(
                p == w or (p.startswith("{") and p.endswith("}") and w) for p, w in zip(parts, wanted, strict=True)
            ):
                return page
        return None


PAGES: web.AppKey[PageTable] = web.AppKey("ui_pages", PageTable)


def page_table(app: web.Application) -> PageTable:
    return app[HOST].state(PAGES, lambda: PageTable(tuple(collect(app, "webmacs_ui_pages"))))


def wants_html(request: web.Request) -> bool:
    return "text/html" in request.headers.get("Accept", "")


def error_page(request: web.Request, status: int, message: str) -> web.Response:
    """The layout's error page (404, 403...) for browsers."""
    titles = {403: "Not allowed", 404: "Page not found"}
    return render(request, "ui/error.html", {"status": status, "message": message},
                  status=status, title=titles.get(status, "Error"), pages=page_table(request.app).pages)


async def show(request: web.Request) -> web.StreamResponse:
    """Render the page at this path, or answer why not."""
    page = page_table(request.app).match(request.path)
    if page is None:
        if wants_html(request):
            return error_page(request, 404, "There is no page at this address.")
        raise web.HTTPNotFound()
    caller = optional_principal(request)
    if caller is None and not allowed(page.policy, None):
        raise web.HTTPSeeOther(f"/signin?next={quote(request.path_qs, safe='/')}")
    if caller is not None and caller.password_change_required and page.path != ACCOUNT_PAGE:
        raise web.HTTPSeeOther(ACCOUNT_PAGE)
    if not allowed(page.policy, caller):
        return error_page(request, 403, "Your role may not open this page.")
    try:
        context = dict(await page.context(request)) if page.context is not None else {}
    except ApiError as exc:
        if exc.status >= 500:
            raise
        return error_page(request, exc.status, str(exc.detail))
    return render(request, page.template, {"page": page, **context}, title=page.title,
                  pages=page_table(request.app).pages)


def add_page_routes(routes: RouteTable) -> None:
    """The overview at ``/`` and the two catch-alls every other page is served by."""
    segment = "{page:[a-z][a-z0-9-]*}"
    routes.get("/", policy=Policy.PUBLIC)(show)
    routes.route("GET", f"/{segment}", policy=Policy.PUBLIC)(show)
    routes.route("GET", f"/{segment}/{{public_id:[A-Za-z0-9_.~-]+}}", policy=Policy.PUBLIC)(show)
