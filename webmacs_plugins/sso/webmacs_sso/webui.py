"""What the SSO plugin adds to the web UI: the sign-in button, the page of a refused sign-in, and
the sign-out's way on to the IdP.

Both hooks are optional, so the plugin loads where the ui plugin is blocked or absent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from webmacs_sdk.specs import Page, Policy, SignInMethod
from webmacs_sso import messages
from webmacs_sso.runtime import AUTHORIZE_PATH, FAILED_PATH, LOGOUT_PATH, local_path, runtime


def sign_in_methods(request: web.Request) -> list[SignInMethod]:
    """"Sign in with <provider>" while SSO is on and configured; it returns to where the visitor was going."""
    rt = runtime(request.app)
    if not (rt.settings.oidc_enabled and rt.configured):
        return []
    target = local_path(request.query.get("next")) or "/"
    return [SignInMethod(f"Sign in with {rt.settings.oidc_provider_name}",
                         f"{AUTHORIZE_PATH}?{urlencode({'next': target})}", order=10)]


def sign_out_url(request: web.Request) -> str | None:
    """While SSO is on, sign-outs pass through ``/api/v1/auth/sso/logout``: after an SSO sign-in it
    goes on to the IdP, after a password sign-in straight to the sign-in page."""
    rt = runtime(request.app)
    return LOGOUT_PATH if rt.settings.oidc_enabled and rt.configured else None


async def _failure(request: web.Request) -> Mapping[str, Any]:
    reason = request.query.get("reason", "")
    return {"message": messages.FAILURES.get(reason, messages.FAILURES["refused"])}


def pages() -> list[Page]:
    return [Page(FAILED_PATH, "Sign-in failed", "sso/failed.html", Policy.PUBLIC, _failure, menu_order=None)]
