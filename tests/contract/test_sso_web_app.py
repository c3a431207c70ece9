"""WebMACS's own web app against this server's SSO, call for call.

Its sign-in page asks ``GET /api/v1/auth/sso/config`` on every visit (axios: ``_t`` cache buster,
a stale bearer token if one is stored) and shows "Sign in with <provider_name>" as a link to
``authorize_url`` when ``enabled``; its ``/sso-callback`` page posts the one-time code to
``POST /api/v1/auth/sso/exchange`` and then loads ``GET /api/v1/auth/me``.
"""

import sys
import time
from pathlib import Path

import pytest
from routes_support import installed_plugin_names

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "webmacs_plugins" / "sso" / "tests"))

from idp_support import FRONTEND_URL, CertifiedProvider, callback_path, query_of, sign_in_at_provider, sso_env

AXIOS = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def identity_provider():
    provider = CertifiedProvider().start()
    yield provider
    provider.stop()


def _cache_buster():
    return {"_t": str(int(time.time() * 1000))}


async def test_sign_in_page_shows_no_sso_button_and_no_error_when_disabled(make_client):
    client = await make_client("users", "auth", "sso")
    resp = await client.get("/api/v1/auth/sso/config", params=_cache_buster(), headers=AXIOS)
    assert resp.status == 200  # any other status is an error in the browser's console
    assert await resp.json() == {"enabled": False, "provider_name": "", "authorize_url": ""}


async def test_sso_button_sign_in_and_callback_page(make_client, tmp_path, identity_provider):
    env = {**sso_env(identity_provider.issuer), "WEBMACS_PLUGIN_DIR": str(tmp_path / "plugins")}
    client = await make_client(*installed_plugin_names(), env=env)
    stale = {**AXIOS, "Authorization": "Bearer a-token-from-an-earlier-visit"}

    config = await client.get("/api/v1/auth/sso/config", params=_cache_buster(), headers=stale)
    assert config.status == 200
    body = await config.json()
    assert body == {"enabled": True, "provider_name": "Test IdP", "authorize_url": "/api/v1/auth/sso/authorize"}

    # The button is a plain link: the browser navigates to it, then through the IdP and back.
    to_idp = await client.get(body["authorize_url"], allow_redirects=False)
    assert to_idp.status == 307
    back = await client.get(callback_path(await sign_in_at_provider(to_idp.headers["Location"], "newcomer")),
                            allow_redirects=False)
    assert back.status == 307
    assert back.headers["Location"].startswith(f"{FRONTEND_URL}/sso-callback?code=")

    # /sso-callback: POST the code, store the token, load the user.
    code = query_of(back.headers["Location"])["code"]
    exchanged = await client.post("/api/v1/auth/sso/exchange", json={"code": code}, headers=stale)
    assert exchanged.status == 200
    token = (await exchanged.json())["access_token"]
    me = await client.get("/api/v1/auth/me", params=_cache_buster(),
                          headers={**AXIOS, "Authorization": f"Bearer {token}"})
    assert me.status == 200
    user = await me.json()
    assert {"public_id", "email", "username", "role", "admin", "registered_on", "sso_provider"} <= set(user)
    assert (user["email"], user["role"], user["sso_provider"]) == ("newcomer@example.com", "viewer", "Test IdP")
