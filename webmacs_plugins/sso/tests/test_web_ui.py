"""The web UI's sign-in page offers "Sign in with <provider>"; the browser ends with a session cookie."""

import re
from urllib.parse import urlsplit

from idp_support import (
    REDIRECT_URI,
    callback_path,
    query_of,
    sign_in_at_provider,
    sign_out_at_provider,
    signin_url,
    sso_env,
)
from sso_flow import emails

from webmacs_sso import messages

PLUGINS = ("users", "auth", "ui", "sso")
HTML = {"Accept": "text/html"}


def _sso_link(page):
    found = re.search(r'<a class="button" href="([^"]+)">Sign in with Test IdP</a>', page)
    return found.group(1).replace("&amp;", "&") if found else None


async def _through_idp(client, href, login):
    to_idp = await client.get(href, allow_redirects=False)
    assert to_idp.status == 307, await to_idp.text()
    return await client.get(callback_path(await sign_in_at_provider(to_idp.headers["Location"], login)),
                            allow_redirects=False)


async def test_the_sign_in_page_button_ends_in_a_browser_session(make_client, certified_idp):
    client = await make_client(*PLUGINS, env=sso_env(certified_idp.issuer))
    href = _sso_link(await (await client.get("/signin?next=/?tab=2", headers=HTML)).text())
    assert href == "/api/v1/auth/sso/authorize?next=%2F%3Ftab%3D2"

    back = await _through_idp(client, href, "newcomer")
    assert (back.status, back.headers["Location"]) == (303, "/?tab=2")
    cookie = back.cookies["webmacs_session"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"

    overview = await (await client.get("/", headers=HTML)).text()
    assert "new.comer" in overview  # signed in, by the cookie alone
    me = await (await client.get("/api/v1/auth/me")).json()
    assert (me["username"], me["sso_provider"]) == ("new.comer", "Test IdP")

    csrf = re.search(r'name="csrf-token" content="([^"]+)"', overview).group(1)
    assert (await client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf})).status == 200
    assert (await client.get("/api/v1/auth/me")).status == 401  # the local session ended


async def test_a_refused_sign_in_shows_why_and_signs_nobody_in(make_client, certified_idp):
    client = await make_client(*PLUGINS, env=sso_env(certified_idp.issuer))
    back = await _through_idp(client, "/api/v1/auth/sso/authorize?next=//elsewhere.example", "admin")
    assert (back.status, back.headers["Location"]) == (303, "/sso-failed?reason=admin")
    assert "webmacs_session" not in back.cookies
    page = await client.get(back.headers["Location"], headers=HTML)
    assert page.status == 200 and messages.ADMIN_LINK in await page.text()
    assert (await client.get("/api/v1/auth/me")).status == 401
    # A path that leaves the site is never where a sign-in ends.
    done = await _through_idp(client, "/api/v1/auth/sso/authorize?next=//elsewhere.example", "newcomer")
    assert done.headers["Location"] == "/"
    assert await emails(client) == {"admin@example.com", "newcomer@example.com"}


async def test_cancelling_at_the_provider_comes_back_to_a_page_that_says_so(make_client, certified_idp):
    client = await make_client(*PLUGINS, env=sso_env(certified_idp.issuer))
    to_idp = await client.get("/api/v1/auth/sso/authorize?next=/", allow_redirects=False)
    state = query_of(to_idp.headers["Location"])["state"]
    back = await client.get(f"/api/v1/auth/sso/callback?error=access_denied&state={state}", allow_redirects=False)
    assert (back.status, back.headers["Location"]) == (303, "/sso-failed?reason=refused")
    page = await (await client.get(back.headers["Location"], headers=HTML)).text()
    assert messages.FAILURES["refused"] in page and 'href="/signin"' in page


async def test_no_button_while_sso_is_off(make_client):
    client = await make_client(*PLUGINS)
    page = await (await client.get("/signin", headers=HTML)).text()
    assert 'for="password"' in page and "Sign in with" not in page and _sso_link(page) is None


def _csrf(page):
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


async def test_signing_out_after_an_sso_sign_in_ends_the_session_at_the_provider_too(make_client, certified_idp):
    client = await make_client(*PLUGINS, env=sso_env(certified_idp.issuer))
    back = await _through_idp(client, "/api/v1/auth/sso/authorize?next=/", "newcomer")
    assert back.status == 303
    overview = await (await client.get("/", headers=HTML)).text()
    # The sign-out button goes on to the SSO plugin's logout (webmacs_sign_out_url) once the session has ended.
    assert 'id="sign-out" class="link" data-next="/api/v1/auth/sso/logout"' in overview

    # Still signed in, a link to the logout (from another site, say) signs nobody out of the provider.
    early = await client.get("/api/v1/auth/sso/logout", allow_redirects=False)
    assert (early.status, early.headers["Location"]) == (303, "/signin")
    assert (await client.get("/api/v1/auth/me")).status == 200

    assert (await client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": _csrf(overview)})).status == 200
    out = await client.get("/api/v1/auth/sso/logout", allow_redirects=False)
    assert out.status == 303, await out.text()
    location = out.headers["Location"]
    assert location.startswith(f"{certified_idp.issuer}/session/end?"), location
    query = query_of(location)
    assert query["post_logout_redirect_uri"] == signin_url(REDIRECT_URI) == "http://webmacs.test/signin"
    assert query["client_id"] == "webmacs-tests" and query["id_token_hint"].count(".") == 2
    # The provider accepts the hint and the address and, once confirmed, sends the browser back.
    assert urlsplit(await sign_out_at_provider(location)).path == "/signin"
    # The ID token is handed over once.
    again = await client.get("/api/v1/auth/sso/logout", allow_redirects=False)
    assert again.headers["Location"] == "/signin"


async def test_signing_out_after_a_password_sign_in_stays_here(make_client, certified_idp):
    client = await make_client(*PLUGINS, env=sso_env(certified_idp.issuer))
    login = {"email": "admin@example.com", "password": "admin-password-1"}
    assert (await client.post("/api/v1/auth/session", json=login)).status == 200
    overview = await (await client.get("/", headers=HTML)).text()
    assert (await client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": _csrf(overview)})).status == 200
    out = await client.get("/api/v1/auth/sso/logout", allow_redirects=False)
    assert (out.status, out.headers["Location"]) == (303, "/signin")


async def test_without_an_end_session_endpoint_sign_out_ends_here(make_client, handmade_idp):
    client = await make_client(*PLUGINS, env=sso_env(handmade_idp.issuer))
    back = await _through_idp(client, "/api/v1/auth/sso/authorize?next=/", "newcomer")
    assert back.status == 303
    assert not any(name.startswith(("webmacs_sso_session", "__Host-webmacs_sso_session")) for name in back.cookies)
    overview = await (await client.get("/", headers=HTML)).text()
    assert (await client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": _csrf(overview)})).status == 200
    out = await client.get("/api/v1/auth/sso/logout", allow_redirects=False)
    assert (out.status, out.headers["Location"]) == (303, "/signin")
