"""Sign-ins through a certified OpenID provider (oidc-provider on loopback), browser-less:
authorize → the provider's login and consent pages → callback → exchange → ``/auth/me``."""

from datetime import timedelta

import sqlalchemy as sa
from idp_support import CLIENT_ID, REDIRECT_URI, query_of, sso_env
from sso_flow import (
    authorize,
    callback,
    emails,
    exchange,
    me,
    one_time_code,
    outstanding_codes,
    refused,
    sign_in,
    to_callback,
)

from webmacs_sdk import DATABASE
from webmacs_sdk.timefmt import utcnow
from webmacs_sso import messages
from webmacs_sso.tables import sso_codes

PLUGINS = ("users", "auth", "logs", "sso")


async def test_a_new_user_is_created_with_the_default_role(make_client, auth_headers, certified_idp):
    client = await make_client(*PLUGINS, env=sso_env(certified_idp.issuer))
    to_idp = await authorize(client)
    asked = query_of(to_idp)
    assert to_idp.startswith(f"{certified_idp.issuer}/auth?")
    assert asked["client_id"] == CLIENT_ID and asked["redirect_uri"] == REDIRECT_URI
    assert asked["response_type"] == "code" and asked["code_challenge_method"] == "S256"
    assert asked["scope"] == "openid email profile" and asked["nonce"] and asked["state"]
    assert len(asked["code_challenge"]) == 43

    user = await sign_in(client, "newcomer")
    assert user["email"] == "newcomer@example.com"
    assert user["username"] == "new.comer"
    assert (user["role"], user["admin"], user["sso_provider"]) == ("viewer", False, "Test IdP")
    logs = await (await client.get("/api/v1/logging?page_size=100", headers=await auth_headers(client))).json()
    assert "User 'new.comer' logged in via SSO (Test IdP)." in [entry["content"] for entry in logs["data"]]


async def test_a_linked_user_signs_in_as_the_same_account(make_client, certified_idp):
    client = await make_client(*PLUGINS, env=sso_env(certified_idp.issuer))
    first = await sign_in(client, "linked")
    again = await sign_in(client, "linked")
    assert again["public_id"] == first["public_id"]
    assert sorted(await emails(client)) == ["admin@example.com", "linked@example.com"]


async def test_an_unlinked_user_with_a_verified_email_is_linked(make_client, auth_headers, certified_idp):
    client = await make_client(*PLUGINS, env=sso_env(certified_idp.issuer))
    admin = await auth_headers(client)
    created = await client.post("/api/v1/users", headers=admin, json={
        "email": "local@example.com", "username": "local", "password": "local-password-1", "role": "operator"})
    assert created.status == 201
    user = await sign_in(client, "local")
    assert (user["username"], user["role"], user["sso_provider"]) == ("local", "operator", "Test IdP")
    # Still the same account for a password sign-in.
    login = await client.post("/api/v1/auth/login", json={"email": "local@example.com",
                                                          "password": "local-password-1"})
    assert (await login.json())["public_id"] == user["public_id"]


async def test_state_and_one_time_code_work_once_in_the_browser_that_started(make_client, aiohttp_client,
                                                                           certified_idp):
    client = await make_client(*PLUGINS, env=sso_env(certified_idp.issuer))
    path = await to_callback(client, "newcomer")

    tampered = path.replace("state=", "state=x", 1)
    await refused(await callback(client, tampered), 400, messages.BAD_STATE)
    # The same callback opened in another browser (no binding cookie): login CSRF refused.
    stranger = await aiohttp_client(client.server)
    await refused(await callback(stranger, path), 400, messages.BAD_STATE)
    # ...and that attempt spent the state, so the rightful browser must start again.
    await refused(await callback(client, path), 400, messages.BAD_STATE)
    assert await emails(client) == {"admin@example.com"}

    path = await to_callback(client, "newcomer")
    done = await callback(client, path)
    code = one_time_code(done)
    await refused(await callback(client, path), 400, messages.BAD_STATE)  # replayed state
    token = (await (await exchange(client, code)).json())["access_token"]
    assert (await me(client, token))["email"] == "newcomer@example.com"
    await refused(await exchange(client, code), 400, messages.BAD_CODE)  # replayed code


async def test_an_expired_one_time_code_is_refused(make_client, certified_idp):
    client = await make_client(*PLUGINS, env=sso_env(certified_idp.issuer))
    code = one_time_code(await callback(client, await to_callback(client, "newcomer")))
    async with client.app[DATABASE].transaction() as tx:  # the 60 s have passed
        await tx.conn.execute(sa.update(sso_codes).values(expires_on=utcnow() - timedelta(seconds=1)))
    await refused(await exchange(client, code), 400, messages.BAD_CODE)
    assert await outstanding_codes(client) == 0


async def test_accounts_the_contract_does_not_let_in(make_client, auth_headers, certified_idp):
    client = await make_client(*PLUGINS, env=sso_env(certified_idp.issuer))
    admin = await auth_headers(client)
    await client.post("/api/v1/users", headers=admin, json={
        "email": "unverified-local@example.com", "username": "unv", "password": "local-password-1"})
    before = await emails(client)

    await refused(await callback(client, await to_callback(client, "unverified")), 403, messages.CREATE_UNVERIFIED)
    await refused(await callback(client, await to_callback(client, "unverified-local")), 403,
                  messages.LINK_UNVERIFIED)
    await refused(await callback(client, await to_callback(client, "admin")), 403, messages.ADMIN_LINK)
    assert await emails(client) == before
    assert await outstanding_codes(client) == 0
    async with client.app[DATABASE].connect() as conn:
        linked = (await conn.execute(sa.text("SELECT count(*) FROM users WHERE sso_subject_id IS NOT NULL"))).scalar()
    assert linked == 0


async def test_no_account_is_created_when_auto_creation_is_off(make_client, certified_idp):
    env = sso_env(certified_idp.issuer, WEBMACS_OIDC_AUTO_CREATE_USERS="false")
    client = await make_client(*PLUGINS, env=env)
    await refused(await callback(client, await to_callback(client, "newcomer")), 403, messages.NO_AUTO_CREATE)
    assert await emails(client) == {"admin@example.com"}


async def test_roles_follow_the_groups_claim(make_client, auth_headers, certified_idp):
    env = sso_env(certified_idp.issuer, WEBMACS_OIDC_SCOPES="openid email profile groups",
                  WEBMACS_OIDC_ROLE_CLAIM="groups", WEBMACS_OIDC_ROLE_MAP="wm-admins=admin,wm-ops=operator")
    client = await make_client(*PLUGINS, env=env)
    assert (await sign_in(client, "boss"))["role"] == "admin"
    worker = await sign_in(client, "worker")
    assert worker["role"] == "operator"
    assert (await sign_in(client, "newcomer"))["role"] == "viewer"

    # Demoted in WebMACS, the worker signs in with a password as a viewer...
    changed = await client.put(f"/api/v1/users/{worker['public_id']}", headers=await auth_headers(client),
                               json={"role": "viewer", "password": "worker-password-1"})
    assert changed.status == 200
    login = await client.post("/api/v1/auth/login", json={"email": "worker@example.com",
                                                          "password": "worker-password-1"})
    viewer_token = (await login.json())["access_token"]
    # ...until the next SSO sign-in gives the claim's role back and ends the viewer's token.
    assert (await sign_in(client, "worker"))["role"] == "operator"
    stale = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {viewer_token}"})
    assert stale.status == 401


async def test_another_server_process_finishes_the_sign_in(make_client, certified_idp):
    # Two apps on one database stand for two server processes behind a load balancer.
    first = await make_client(*PLUGINS, env=sso_env(certified_idp.issuer))
    second = await make_client(*PLUGINS, env=sso_env(certified_idp.issuer))
    path = await to_callback(first, "newcomer")
    binding = first.session.cookie_jar.filter_cookies(first.make_url("/api/v1/auth/sso/callback"))["webmacs_sso"]
    back = await second.get(path, allow_redirects=False, headers={"Cookie": f"webmacs_sso={binding.value}"})
    assert back.status == 307, await back.text()
    token = (await (await exchange(first, one_time_code(back))).json())["access_token"]
    assert (await me(second, token))["email"] == "newcomer@example.com"
