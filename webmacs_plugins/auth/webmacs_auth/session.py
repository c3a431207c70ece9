"""Browser sessions: the ``session`` auth backend (an HttpOnly cookie) and the sign-in that sets it.

The cookie holds an access token like the one ``/auth/login`` returns, so revocation, expiry and
the user's current role apply to it unchanged; logout revokes it and clears the cookie. Because a
browser sends the cookie on its own, every state-changing request authenticated by it must also
carry the session's CSRF token (header ``X-CSRF-Token`` or form field ``csrf_token``).
"""

from __future__ import annotations

import attrs
from aiohttp import web
from pydantic import Field

from webmacs_auth.backend import JwtBackend
from webmacs_auth.public import set_browser_session
from webmacs_auth.routes import SESSION_KIND, check_password, issue_for, routes
from webmacs_sdk.emails import EmailAddress
from webmacs_sdk.errors import AuthenticationFailed
from webmacs_sdk.keys import SETTINGS
from webmacs_sdk.models import Principal
from webmacs_sdk.sessions import CSRF_FIELD, CSRF_HEADER, SAFE_METHODS, SESSION_COOKIE, csrf_matches, csrf_token
from webmacs_sdk.specs import Policy
from webmacs_sdk.web import RequestModel, json_response, validate

CSRF_FAILED = AuthenticationFailed("CSRF token missing or invalid.")
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


class CookieBackend:
    """Authenticates the session cookie; unsafe methods also need the session's CSRF token."""

    def __init__(self, app: web.Application) -> None:
        self.app = app
        self.tokens = JwtBackend(app)

    def credential(self, request: web.Request) -> str | None:
        return request.cookies.get(SESSION_COOKIE)

    async def authenticate(self, request: web.Request, credential: str) -> Principal | None:
        if "Authorization" in request.headers or credential != request.cookies.get(SESSION_COOKIE):
            return None  # a bearer token is the other backends' business, even if it equals the cookie
        found = await self.tokens.authenticate(request, credential)
        if found is None:
            return None
        if request.method not in SAFE_METHODS and not await self._csrf_ok(request, credential):
            raise CSRF_FAILED
        return attrs.evolve(found, credential_kind=SESSION_KIND)

    async def _csrf_ok(self, request: web.Request, credential: str) -> bool:
        presented = request.headers.get(CSRF_HEADER)
        if presented is None and request.content_type == _FORMS[0]:
            presented = str((await request.post()).get(CSRF_FIELD, "")) or None
        return csrf_matches(self.app[SETTINGS].resolved_secret_key(), credential, presented)


class SessionRequest(RequestModel):
    email: EmailAddress
    password: str = Field(min_length=1)


@routes.post("/session", policy=Policy.PUBLIC)
async def sign_in(request: web.Request) -> web.Response:
    """Sign a browser in: JSON or form ``email`` and ``password``; answers the CSRF token and sets
    the session cookie (HttpOnly, SameSite=Lax, Secure when the request came over https)."""
    if request.content_type in _FORMS:
        data: object = dict(await request.post())
    else:
        from webmacs_sdk.web import read_json

        data = await read_json(request)
    body = validate(SessionRequest, data)
    row = await check_password(request, body.email, body.password)
    token = await issue_for(request, row)
    response = json_response({
        "status": "success", "message": "Successfully signed in.", "username": row.username,
        "public_id": row.public_id, "csrf_token": csrf_token(request.app[SETTINGS].resolved_secret_key(), token),
    })
    set_browser_session(request, response, token)
    return response
