"""The web UI's sign-in page offers "Sign in with <provider>"; the browser ends with a session cookie."""

import re

from idp_support import callback_path, query_of, sign_in_at_provider, sso_env
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
