"""What the SSO plugin adds to the web UI: the sign-in button and the page of a refused sign-in.

Both hooks are optional, so the plugin loads where the ui plugin is blocked or absent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from webmacs_sdk.specs import Page, Policy, SignInMethod
from webmacs_sso import messages
from webmacs_sso.runtime import AUTHORIZE_PATH, FAILED_PATH, local_path, runtime


def sign_in_methods(request: web.Request) -> list[SignInMethod]:
    """"Sign in with <provider>" while SSO is on and configured; it returns to where the visitor was going."""
    rt = runtime(request.app)
    if not (rt.settings.oidc_enabled and rt.configured):
        return []
    target = local_path(request.query.get("next")) or "/"
    return [SignInMethod(f"Sign in with {rt.settings.oidc_provider_name}",
                         f"{AUTHORIZE_PATH}?{urlencode({'next': target})}", order=10)]


async def _failure(request: web.Request) -> Mapping[str, Any]:
    reason = request.query.get("reason", "")
    return {"message": messages.FAILURES.get(reason, messages.FAILURES["refused"])}


def pages() -> list[Page]:
    return [Page(FAILED_PATH, "Sign-in failed", "sso/failed.html", Policy.PUBLIC, _failure, menu_order=None)]
