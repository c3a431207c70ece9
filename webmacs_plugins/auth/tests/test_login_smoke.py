"""Login, logout, me, revocation and throttling, through the HTTP API."""

import base64
import json

from webmacs_sdk.testing.pytest_plugin import BASE_ENV

ADMIN = {"email": BASE_ENV["WEBMACS_INITIAL_ADMIN_EMAIL"], "password": BASE_ENV["WEBMACS_INITIAL_ADMIN_PASSWORD"]}


async def _login(client, **overrides):
    return await client.post("/api/v1/auth/login", json={**ADMIN, **overrides})


async def test_login_returns_contract_shape_and_me_works(make_client):
    client = await make_client("users", "auth")
    resp = await _login(client)
    assert resp.status == 200
    body = await resp.json()
    assert list(body) == ["status", "message", "access_token", "public_id", "username"]
    assert body["message"] == "Successfully logged in."
    header = json.loads(base64.urlsafe_b64decode(body["access_token"].split(".")[0] + "=="))
    assert header["alg"] == "HS256"
    me = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    data = await me.json()
    assert data["public_id"] == body["public_id"]
    assert data["role"] == "admin" and data["admin"] is True
    assert set(data) == {"public_id", "email", "username", "role", "admin", "registered_on", "sso_provider"}


async def test_wrong_password_and_unknown_email_answer_the_same(make_client):
    client = await make_client("users", "auth")
    wrong = await _login(client, password="not-the-password")
    unknown = await _login(client, email="nobody@example.com")
    for resp in (wrong, unknown):
        assert resp.status == 401
        assert (await resp.json()) == {"detail": "Invalid email or password."}


async def test_missing_header_gives_bearer_challenge(make_client):
    client = await make_client("users", "auth")
    resp = await client.get("/api/v1/auth/me")
    assert resp.status == 401
    assert resp.headers["WWW-Authenticate"] == "Bearer"
    assert (await resp.json()) == {"detail": "Authentication required."}
    basic = await client.get("/api/v1/auth/me", headers={"Authorization": "Basic YTpi"})
    assert basic.status == 401


async def test_logout_revokes_token_and_second_logout_is_401(make_client):
    client = await make_client("users", "auth")
    token = (await (await _login(client)).json())["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    out = await client.post("/api/v1/auth/logout", headers=headers)
    assert (await out.json()) == {"status": "success", "message": "Successfully logged out."}
    again = await client.post("/api/v1/auth/logout", headers=headers)
    assert again.status == 401
    assert (await again.json())["detail"] == "Token has been revoked."
    me = await client.get("/api/v1/auth/me", headers=headers)
    assert me.status == 401


async def test_revocation_survives_a_restart(make_app, aiohttp_client):
    first = await aiohttp_client(make_app("users", "auth"))
    token = (await (await _login(first)).json())["access_token"]
    await first.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {token}"})
    await first.close()
    second = await aiohttp_client(make_app("users", "auth"))
    resp = await second.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert resp.status == 401
    assert (await resp.json())["detail"] == "Token has been revoked."


async def test_account_is_throttled_after_five_failures_even_with_forged_forwarded_for(make_client):
    client = await make_client("users", "auth")
    for attempt in range(5):
        resp = await _login(client, password="wrong", **{})
        assert resp.status == 401, attempt
    for forged in ("127.0.0.1", "10.0.0.1", "203.0.113.9"):
        resp = await client.post("/api/v1/auth/login", json={**ADMIN, "password": "wrong"},
                                 headers={"X-Forwarded-For": forged})
        assert resp.status == 429
        assert int(resp.headers["Retry-After"]) > 0
    # Even the right password waits: the check itself is what is being rationed.
    assert (await _login(client)).status == 429


async def test_other_accounts_are_not_locked_by_an_attack_on_one(make_client, auth_headers):
    client = await make_client("users", "auth")
    await auth_headers(client, "operator")
    for _ in range(6):
        await _login(client, password="wrong")
    resp = await client.post("/api/v1/auth/login", json={"email": "operator@example.com",
                                                         "password": "operator-password-1"})
    assert resp.status == 200


async def test_missing_fields_are_422_list(make_client):
    client = await make_client("users", "auth")
    resp = await client.post("/api/v1/auth/login", json={"email": "admin@example.com"})
    assert resp.status == 422
    detail = (await resp.json())["detail"]
    assert detail[0]["loc"] == ["body", "password"] and detail[0]["type"] == "missing"
    bad_email = await client.post("/api/v1/auth/login", json={"email": "not-an-email", "password": "x"})
    assert bad_email.status == 422


async def test_over_long_password_is_a_clean_401_not_a_500(make_client):
    client = await make_client("users", "auth")
    resp = await _login(client, password="é" * 100)
    assert resp.status == 401
