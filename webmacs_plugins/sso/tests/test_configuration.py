"""SSO off, half configured, or pointed somewhere the server may not or cannot go."""

import socket

import pytest
from idp_support import query_of, sso_env

from webmacs_sdk.settings import SettingsError
from webmacs_sso import messages

PLUGINS = ("users", "auth", "sso")


async def test_disabled_sso_answers_as_the_contract_says(make_client):
    client = await make_client(*PLUGINS)
    config = await client.get("/api/v1/auth/sso/config")
    assert (config.status, await config.json()) == (200, {"enabled": False, "provider_name": "",
                                                          "authorize_url": ""})
    for path in ("/api/v1/auth/sso/authorize", "/api/v1/auth/sso/callback?code=c&state=s"):
        resp = await client.get(path, allow_redirects=False)
        assert (resp.status, (await resp.json())["detail"]) == (404, messages.NOT_ENABLED)
    missing = await client.get("/api/v1/auth/sso/callback")
    assert missing.status == 422
    assert [e["loc"] for e in (await missing.json())["detail"]] == [["query", "code"], ["query", "state"]]


async def test_incomplete_configuration_is_named(make_client):
    client = await make_client(*PLUGINS, env={"WEBMACS_OIDC_ENABLED": "true", "WEBMACS_OIDC_PROVIDER_NAME": "Corp"})
    config = await (await client.get("/api/v1/auth/sso/config")).json()
    assert config == {"enabled": True, "provider_name": "Corp", "authorize_url": "/api/v1/auth/sso/authorize"}
    resp = await client.get("/api/v1/auth/sso/authorize", allow_redirects=False)
    assert (resp.status, (await resp.json())["detail"]) == (500, messages.MISCONFIGURED)


async def test_an_identity_provider_on_an_internal_address_needs_the_allow_list(make_client, handmade_idp):
    env = sso_env(handmade_idp.issuer, WEBMACS_OIDC_EGRESS_ALLOW="")
    client = await make_client(*PLUGINS, env=env)
    resp = await client.get("/api/v1/auth/sso/authorize", allow_redirects=False)
    assert resp.status == 500
    assert "127.0.0.1, which is a loopback address" in (await resp.json())["detail"]
    assert "WEBMACS_OIDC_EGRESS_ALLOW" in (await resp.json())["detail"]


async def test_an_unreachable_identity_provider_is_a_bad_gateway(make_client):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    client = await make_client(*PLUGINS, env=sso_env(f"http://127.0.0.1:{port}"))
    resp = await client.get("/api/v1/auth/sso/authorize", allow_redirects=False)
    assert (resp.status, (await resp.json())["detail"]) == (502, messages.DISCOVERY_FAILED)


async def test_derived_redirect_and_frontend_urls_and_a_refusal_at_the_idp(make_client, handmade_idp):
    env = sso_env(handmade_idp.issuer)
    del env["WEBMACS_OIDC_REDIRECT_URI"], env["WEBMACS_OIDC_FRONTEND_URL"]
    client = await make_client(*PLUGINS, env={**env, "WEBMACS_CORS_ORIGINS": "https://ui.example.org/"})
    resp = await client.get("/api/v1/auth/sso/authorize", allow_redirects=False)
    asked = query_of(resp.headers["Location"])
    assert asked["redirect_uri"] == "http://127.0.0.1:8000/api/v1/auth/sso/callback"
    cookie = resp.cookies["webmacs_sso"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["path"] == "/api/v1/auth/sso"

    approved = await client.session.get(resp.headers["Location"], allow_redirects=False)
    back = approved.headers["Location"]
    done = await client.get(back[back.index("/api/"):], allow_redirects=False)
    assert done.headers["Location"].startswith("https://ui.example.org/sso-callback?code=")

    again = query_of((await client.get("/api/v1/auth/sso/authorize", allow_redirects=False)).headers["Location"])
    denied = await client.get(f"/api/v1/auth/sso/callback?error=access_denied&state={again['state']}")
    assert (denied.status, (await denied.json())["detail"]) == (
        400, "Identity provider refused the sign-in: access_denied.")


async def test_discovery_is_cached_until_it_expires(make_client, handmade_idp):
    for max_age, fetches in (("3600", 1), ("0", 2)):
        client = await make_client(*PLUGINS, env=sso_env(handmade_idp.issuer,
                                                         WEBMACS_OIDC_DISCOVERY_CACHE_SECONDS=max_age))
        before = handmade_idp.discovery_fetches
        for _ in range(2):
            assert (await client.get("/api/v1/auth/sso/authorize", allow_redirects=False)).status == 307
        assert handmade_idp.discovery_fetches - before == fetches, max_age


async def test_over_https_the_binding_cookie_cannot_be_planted_by_a_subdomain(make_client, handmade_idp):
    env = sso_env(handmade_idp.issuer, WEBMACS_OIDC_REDIRECT_URI="https://webmacs.example.org/api/v1/auth/sso/callback")
    client = await make_client(*PLUGINS, env=env)
    resp = await client.get("/api/v1/auth/sso/authorize", allow_redirects=False,
                            headers={"Cookie": "__Host-webmacs_sso=planted"})
    cookie = resp.cookies["__Host-webmacs_sso"]
    assert cookie["secure"] and cookie["path"] == "/" and cookie["httponly"]
    assert cookie.value != "planted" and len(cookie.value) == 43


@pytest.mark.parametrize(("name", "value"), [("WEBMACS_OIDC_DEFAULT_ROLE", "superuser"),
                                             ("WEBMACS_OIDC_ROLE_MAP", "wm-admins=root"),
                                             ("WEBMACS_OIDC_ROLE_MAP", "wm-admins"),
                                             ("WEBMACS_OIDC_EGRESS_ALLOW", "not a network!")])
def test_a_setting_that_cannot_work_stops_the_start(make_app, name, value):
    with pytest.raises(SettingsError, match=name):
        make_app(*PLUGINS, env={name: value})


async def test_sign_ins_started_from_one_address_are_limited(make_client, handmade_idp):
    env = sso_env(handmade_idp.issuer, WEBMACS_OIDC_AUTHORIZE_PER_ADDRESS="3", WEBMACS_TRUSTED_PROXIES="127.0.0.1")
    client = await make_client(*PLUGINS, env=env)
    for _ in range(3):
        resp = await client.get("/api/v1/auth/sso/authorize", allow_redirects=False)
        assert resp.status == 307
    refused = await client.get("/api/v1/auth/sso/authorize", allow_redirects=False)
    assert (refused.status, (await refused.json())["detail"]) == (429, messages.TOO_MANY_STARTS)
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    # Another client address (through the trusted proxy) still starts its sign-in.
    other = await client.get("/api/v1/auth/sso/authorize", allow_redirects=False,
                             headers={"X-Forwarded-For": "192.0.2.7"})
    assert other.status == 307
