"""The aiohttp-jinja2 environment over every plugin's ``templates/`` folder, and page rendering."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterable, Mapping
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web

from webmacs_sdk.keys import HOST, SETTINGS
from webmacs_sdk.models import Principal
from webmacs_sdk.sessions import csrf_token
from webmacs_sdk.specs import MenuItem, Page, Policy
from webmacs_sdk.web import optional_principal
from webmacs_ui import assets

OWN_TEMPLATES = Path(__file__).parent / "templates"
#: The hooks whose implementing plugins have their ``templates/`` folder searched.
UI_HOOKS = ("webmacs_ui_pages", "webmacs_templates", "webmacs_menu_items", "webmacs_widget_types",
            "webmacs_sign_in_methods")


ASSETS: web.AppKey[assets.Assets] = web.AppKey("ui_assets", assets.Assets)


def plugin_folders(app: web.Application, kind: str) -> list[Path]:
    """The ``kind`` folder (``templates``, ``static``) next to each plugin implementing a UI hook."""
    relay = app[HOST].hook()
    folders: list[Path] = []
    for name in UI_HOOKS:
        caller = getattr(relay, name, None)
        for impl in caller.get_hookimpls() if caller is not None else ():
            folder = _plugin_folder(impl.plugin, kind)
            if folder is not None and folder not in folders:
                folders.append(folder)
    return folders


def template_folders(app: web.Application) -> list[Path]:
    """The ui's folder, then each UI plugin's own ``templates/``, then contributed folders."""
    relay = app[HOST].hook()
    folders = [OWN_TEMPLATES, *(f for f in plugin_folders(app, "templates") if f != OWN_TEMPLATES)]
    contributed = getattr(relay, "webmacs_templates", None)
    for group in contributed() if contributed is not None else ():
        folders.extend(Path(folder) for folder in group or () if Path(folder) not in folders)
    return folders


def _plugin_folder(plugin: object, kind: str) -> Path | None:
    module = plugin if hasattr(plugin, "__file__") else sys.modules.get(type(plugin).__module__)
    source = getattr(module, "__file__", None)
    if not source:
        return None
    folder = Path(source).parent / kind
    return folder if folder.is_dir() else None


async def templates_ctx(app: web.Application) -> AsyncIterator[None]:
    """Set up aiohttp-jinja2 while the app is still open to changes (before it freezes)."""
    env = aiohttp_jinja2.setup(
        app, loader=jinja2.FileSystemLoader([str(f) for f in template_folders(app)]),
        autoescape=jinja2.select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True,
    )
    static = [assets.STATIC, *(f for f in plugin_folders(app, "static") if f.resolve() != assets.STATIC)]
    env.globals["asset"] = app[HOST].state(ASSETS, lambda: assets.Assets(static)).url
    yield


def allowed(policy: Policy, caller: Principal | None) -> bool:
    """Whether ``caller`` (None: signed out) satisfies ``policy``."""
    return policy.admits(caller)


def collect(app: web.Application, hook_name: str, **arguments: Any) -> list[Any]:
    """Flatten what every implementation of one of the UI's hooks returned."""
    caller = getattr(app[HOST].hook(), hook_name, None)
    return [item for group in (caller(**arguments) if caller is not None else ()) for item in group or ()]


def menu(app: web.Application, pages: Iterable[Page], caller: Principal | None) -> list[MenuItem]:
    """Navigation for ``caller``: menu pages and contributed items its role admits, ordered."""
    items = [MenuItem(p.title, p.path, p.policy, p.menu_order) for p in pages
             if p.menu_order is not None and "{" not in p.path]
    items += collect(app, "webmacs_menu_items")
    return sorted((i for i in items if allowed(i.policy, caller)), key=lambda i: (i.order, i.label))


def sign_out_url(request: web.Request) -> str:
    """Where the sign-out button sends the browser once the session has ended (a plugin may say)."""
    decide = getattr(request.app[HOST].hook(), "webmacs_sign_out_url", None)
    return (decide(request=request) if decide is not None else None) or "/signin"


def render(request: web.Request, template: str, context: Mapping[str, Any], *, status: int = 200,
           title: str = "", pages: Iterable[Page] = ()) -> web.Response:
    """Render ``template`` with the layout's variables (navigation, caller, CSRF token)."""
    caller = optional_principal(request)
    base = {
        "title": title, "principal": caller, "version": request.app[SETTINGS].version,
        "menu": menu(request.app, pages, caller), "current": request.path,
        "csrf_token": csrf_token(request.app[SETTINGS].resolved_secret_key(), caller.credential) if caller else "",
        "can_operate": allowed(Policy.OPERATOR, caller), "is_admin": allowed(Policy.ADMIN, caller),
        "sign_out_url": sign_out_url(request) if caller else "/signin",
    }
    response = aiohttp_jinja2.render_template(template, request, {**base, **context}, status=status)
    response.headers["Cache-Control"] = "no-store"
    response.enable_compression()
    return response
