"""``/api/v1/auth/sso`` (contract §2.6.2): config, authorize, callback and the one-time code exchange;
``logout``, where the web UI's sign-out goes on to the IdP (ours, beyond the contract)."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

import webmacs_users as users_api
from webmacs_auth import issue_access_token, session_lifetime, set_browser_session
from webmacs_sdk.errors import ApiError, BadRequest, ValidationFailed
from webmacs_sdk.events import UserLoggedInSso
from webmacs_sdk.keys import DATABASE, HOST, SETTINGS
from webmacs_sdk.ratelimit import WindowCounts, too_many_requests
from webmacs_sdk.specs import Policy, RouteTable
from webmacs_sdk.web import RequestModel, ResponseModel, client_address, json_response, parse_body
from webmacs_sso import accounts, codes, idtoken, logins, messages, signouts
from webmacs_sso.runtime import AUTHORIZE_PATH, FAILED_PATH, SIGNIN_PATH, Runtime, local_path, runtime

log = logging.getLogger(__name__)
routes = RouteTable("/api/v1/auth/sso")

#: Nothing of a sign-in in progress may be cached or leak through a Referer.
_PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
#: Sign-ins started per client address (``oidc_authorize_per_address`` per window).
AUTHORIZE_COUNTS: web.AppKey[WindowCounts] = web.AppKey("sso_authorize_counts", WindowCounts)


class ExchangeRequest(RequestModel):
    """``POST /exchange``: the one-time code the callback put in the web app's URL."""

    code: str


def _redirect(location: str) -> web.Response:
    return web.Response(status=307, headers={"Location": location, **_PRIVATE})


class SsoConfigResponse(ResponseModel):
    """SsoConfigResponse of contract §2.5 (empty strings when single sign-on is off)."""

    enabled: bool
    provider_name: str
    authorize_url: str


@routes.get("/config", policy=Policy.PUBLIC, response=SsoConfigResponse)
async def sso_config(request: web.Request) -> web.Response:
    settings = runtime(request.app).settings
    if not settings.oidc_enabled:
        return json_response({"enabled": False, "provider_name": "", "authorize_url": ""})
    return json_response({"enabled": True, "provider_name": settings.oidc_provider_name,
                          "authorize_url": AUTHORIZE_PATH})


@routes.get("/authorize", policy=Policy.PUBLIC)
async def sso_authorize(request: web.Request) -> web.Response:
    rt = runtime(request.app)
    rt.require_enabled()
    # Each start stores a pending login (and may fetch discovery): one address may not flood them.
    counts = request.app[HOST].state(AUTHORIZE_COUNTS, lambda: WindowCounts(rt.settings.oidc_authorize_window_seconds))
    address = client_address(request, request.app[SETTINGS].trusted_proxies)
    retry_after = counts.take(address, rt.settings.oidc_authorize_per_address)
    if retry_after is not None:
        raise too_many_requests(messages.TOO_MANY_STARTS, retry_after)
    metadata = await rt.provider.metadata()
    # One binding per browser, reused while it lives, so sign-ins started in two tabs both work.
    cookie, cookie_path, secure = rt.binding_cookie()
    binding = logins.usable_binding(request.cookies.get(cookie)) or logins.new_binding()
    # ``next`` (ours): the web UI's sign-in page starts here and wants a browser session at the end.
    return_to = (local_path(request.query["next"]) or "/") if "next" in request.query else None
    async with request.app[DATABASE].transaction() as tx:
        started = await logins.start(tx.conn, binding=binding, secret_key=request.app[SETTINGS].resolved_secret_key(),
                                     ttl=rt.settings.oidc_state_ttl_seconds, return_to=return_to)
    query = urlencode({
        "response_type": "code",
        "client_id": rt.settings.oidc_client_id,
        "redirect_uri": rt.redirect_uri(),
        "scope": rt.settings.oidc_scopes,
        "state": started.state,
        "nonce": started.nonce,
        "code_challenge": started.code_challenge,
        "code_challenge_method": "S256",
    })
    separator = "&" if "?" in metadata.authorization_endpoint else "?"
    response = _redirect(f"{metadata.authorization_endpoint}{separator}{query}")
    # SameSite=Lax: the IdP's redirect back is a top-level GET, which Lax cookies accompany.
    response.set_cookie(cookie, binding, max_age=rt.settings.oidc_state_ttl_seconds,
                        path=cookie_path, httponly=True, samesite="Lax", secure=secure)
    return response


def _missing(names: list[str]) -> ValidationFailed:
    return ValidationFailed([{"type": "missing", "loc": ["query", name], "msg": "Field required", "input": None}
                             for name in names])


@routes.get("/callback", policy=Policy.PUBLIC)
async def sso_callback(request: web.Request) -> web.Response:
    code, state = request.query.get("code"), request.query.get("state")
    idp_error = request.query.get("error")
    if (not code or not state) and not idp_error:
        raise _missing([name for name, value in (("code", code), ("state", state)) if not value])
    rt = runtime(request.app)
    rt.require_enabled()
    state_id = logins.state_id(state, request.app[SETTINGS].resolved_secret_key()) if state else None
    pending = None
    if state_id is not None:
        async with request.app[DATABASE].transaction() as tx:
            pending = await logins.take(tx.conn, state_id, request.cookies.get(rt.binding_cookie()[0]))
    if not code:  # the IdP sent the browser back with ``error=`` (the person cancelled, say)
        refusal = messages.idp_refused(str(idp_error))
        if pending is not None and pending.return_to is not None:
            raise _failure_page(refusal)
        raise refusal
    if pending is None:
        raise messages.bad_state()
    if pending.return_to is None:
        row, _ = await _sign_in(request, rt, code, pending)
        async with request.app[DATABASE].transaction() as tx:
            one_time = await codes.issue(tx.conn, row.id, rt.settings.oidc_code_ttl_seconds)
        return _redirect(f"{rt.frontend_url()}/sso-callback?{urlencode({'code': one_time})}")
    try:
        row, id_token = await _sign_in(request, rt, code, pending)
    except ApiError as exc:
        raise _failure_page(exc) from None
    response = web.Response(status=303, headers={"Location": pending.return_to, **_PRIVATE})
    session = await issue_access_token(request.app, row)
    set_browser_session(request, response, session)
    if (await rt.provider.metadata()).end_session_endpoint:  # kept only where the IdP can end its session
        lifetime = session_lifetime(request.app)
        async with request.app[DATABASE].transaction() as tx:
            reference = await signouts.remember(tx.conn, session_token=session, id_token=id_token, lifetime=lifetime)
        name, path, secure = rt.session_cookie()
        response.set_cookie(name, reference, max_age=int(lifetime.total_seconds()), path=path, httponly=True,
                            samesite="Lax", secure=secure)
    return response


@routes.get("/logout", policy=Policy.PUBLIC)
async def sso_logout(request: web.Request) -> web.Response:
    """Where the web UI's sign-out ends: the IdP's end-session endpoint when the session just signed
    out began with an SSO sign-in there, else the sign-in page."""
    rt = runtime(request.app)
    name, path, _ = rt.session_cookie()
    location = SIGNIN_PATH
    id_token = None
    if rt.settings.oidc_enabled and rt.configured and request.cookies.get(name):
        async with request.app[DATABASE].transaction() as tx:
            id_token = await signouts.take(tx.conn, request.cookies.get(name))
    if id_token is not None:
        try:
            endpoint = (await rt.provider.metadata()).end_session_endpoint
        except ApiError:  # the IdP is unreachable: the WebMACS session has ended all the same
            endpoint = None
        if endpoint:
            location = signouts.end_session_url(endpoint, id_token=id_token, client_id=rt.settings.oidc_client_id,
                                                post_logout_redirect_uri=rt.post_logout_redirect_uri())
    response = web.Response(status=303, headers={"Location": location, **_PRIVATE})
    if id_token is not None:
        response.del_cookie(name, path=path)
    return response


def _failure_page(exc: ApiError) -> web.HTTPSeeOther:
    """The web UI's visitor gets a page that says what went wrong, not a JSON body."""
    log.info("sign-in through the web UI refused: %s", exc.detail)
    return web.HTTPSeeOther(f"{FAILED_PATH}?{urlencode({'reason': messages.failure_key(exc)})}", headers=_PRIVATE)


async def _sign_in(
    request: web.Request, rt: Runtime, code: str, pending: logins.Pending
) -> tuple[users_api.Row, str]:
    """The user the IdP's answer signs in, resolved, linked or created, with the sign-in logged, and
    the IdP's ID token."""
    metadata = await rt.provider.metadata()
    # RFC 9207: an IdP that names itself in the response must be the one this sign-in went to.
    returned_issuer = request.query.get("iss")
    if returned_issuer is not None and returned_issuer != metadata.issuer:
        raise BadRequest(messages.OTHER_ISSUER)
    identity, id_token = await _identity(rt, code, pending)
    async with request.app[DATABASE].transaction() as tx:
        row = await accounts.resolve(tx.conn, identity, rt.settings)
        await request.app[HOST].emit(tx, UserLoggedInSso(
            username=row.username, user_public_id=row.public_id, provider=rt.settings.oidc_provider_name,
            actor=users_api.principal(row)))
    return row, id_token


async def _identity(rt: Runtime, code: str, pending: logins.Pending) -> tuple[accounts.Identity, str]:
    """Redeem the IdP's code, validate its ID token, and read the user's claims (and the raw ID token)."""
    provider = rt.provider
    metadata = await provider.metadata()
    tokens = await provider.redeem_code(code, pending.code_verifier, rt.redirect_uri())
    raw_id_token = tokens.get("id_token")
    if not isinstance(raw_id_token, str):
        raise messages.invalid_id_token("none returned")
    expect = idtoken.Expectations(issuer=metadata.issuer, client_id=rt.settings.oidc_client_id, nonce=pending.nonce,
                                  algorithms=metadata.id_token_algorithms, leeway=rt.settings.oidc_clock_skew_seconds)
    try:
        id_claims = await idtoken.validate(raw_id_token, expect, provider.keys)
    except idtoken.InvalidIdToken as exc:
        log.warning("rejected an ID token from %s: %s", metadata.issuer, exc.reason)
        raise messages.invalid_id_token(exc.reason) from None
    userinfo = await provider.userinfo(tokens["access_token"])
    if userinfo.get("sub") != id_claims["sub"]:
        # OIDC Core §5.3.2: userinfo of another subject must not be used.
        log.warning("userinfo subject %r differs from the ID token's %r", userinfo.get("sub"), id_claims["sub"])
        raise messages.bad_gateway(messages.USERINFO_FAILED)
    claims: dict[str, Any] = {**id_claims, **userinfo}
    return accounts.Identity.from_claims(claims), raw_id_token


@routes.post("/exchange", policy=Policy.PUBLIC, body=ExchangeRequest)
async def sso_exchange(request: web.Request) -> web.Response:
    body = await parse_body(request, ExchangeRequest)
    async with request.app[DATABASE].transaction() as tx:
        user_id = await codes.redeem(tx.conn, body.code)
        row = await users_api.by_id(tx.conn, user_id) if user_id is not None else None
    if row is None:
        raise BadRequest(messages.BAD_CODE)
    token = await issue_access_token(request.app, row)
    return json_response({"access_token": token}, headers=_PRIVATE)
