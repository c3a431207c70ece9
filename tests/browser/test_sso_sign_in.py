"""Single sign-on in real Chromium: the sign-in page's "Sign in with <provider>" button, the
certified OpenID provider's own login and consent pages, and back, signed in by the session cookie;
signing out, through the provider's own sign-out page.

SQLite only: the sign-in's storage is tested on both databases by the sso plugin's tests.
"""

from __future__ import annotations

import asyncio
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from edge_support import ServerProcess, free_port
from playwright.sync_api import expect

sys.path.insert(0, str(Path(__file__).parents[2] / "webmacs_plugins" / "sso" / "tests"))

from idp_support import CertifiedProvider, sso_env

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def sso_site(tmp_path_factory):
    port = free_port()
    redirect_uri = f"http://127.0.0.1:{port}/api/v1/auth/sso/callback"
    provider = CertifiedProvider(redirect_uri).start()
    workdir = tmp_path_factory.mktemp("sso-browser")
    server = ServerProcess(workdir, f"sqlite+aiosqlite:///{workdir / 'sso.db'}", port, {
        **sso_env(provider.issuer), "WEBMACS_OIDC_REDIRECT_URI": redirect_uri, "WEBMACS_BCRYPT_ROUNDS": "4",
        "WEBMACS_PLUGIN_DIR": str(workdir / "plugins"),
    })
    server.start()
    try:
        with ThreadPoolExecutor(1) as pool:  # Playwright's sync API owns this thread's event loop
            pool.submit(asyncio.run, server.wait_healthy()).result()
        yield server
    finally:
        server.stop()
        provider.stop()


def test_sign_in_with_the_identity_provider(browser, sso_site):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{sso_site.url}/")
    assert "/signin" in page.url
    page.get_by_role("link", name="Sign in with Test IdP").click()

    # The provider's own pages: login, then consent.
    page.locator('input[name="login"]').fill("newcomer")
    page.locator('input[name="password"]').fill("any password")
    page.locator('button[type="submit"]').click()
    page.get_by_role("button", name="Continue").click()

    page.wait_for_url(f"{sso_site.url}/")
    expect(page.locator("header .who")).to_contain_text("new.comer")
    session = next(c for c in context.cookies() if c["name"] == "webmacs_session")
    assert session["httpOnly"] and session["sameSite"] == "Lax"

    # Signing out ends the session at the provider too (RP-initiated logout): its confirmation page,
    # then back to the sign-in page; signing in again asks for the password again.
    page.locator("#sign-out").click()
    page.get_by_role("button", name="Yes, sign me out").click()
    page.wait_for_url(f"{sso_site.url}/signin")
    assert not [c for c in context.cookies() if c["name"] == "webmacs_session"]
    page.get_by_role("link", name="Sign in with Test IdP").click()
    expect(page.locator('input[name="login"]')).to_be_visible()
    context.close()
