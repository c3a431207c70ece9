"""Revocation follows the token's identity (``jti``), not its spelling; tokens issued before a password
or role change stop working; tokens without an identity are refused. REST and WebSocket alike."""

import time

import jwt

from webmacs_sdk.testing.pytest_plugin import BASE_ENV, TEST_SECRET, login

ADMIN = (BASE_ENV["WEBMACS_INITIAL_ADMIN_EMAIL"], BASE_ENV["WEBMACS_INITIAL_ADMIN_PASSWORD"])
REVOKED = {"detail": "Token has been revoked."}
INVALID = {"detail": "Invalid or expired token."}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def ws_close_reason(client, token: str, path: str = "/ws/datapoints/stream") -> str | None:
    ws = await client.ws_connect(path, params={"token": token})
    msg = await ws.receive()
    await ws.close()
    return None if ws.close_code != 1008 else msg.extra


async def test_a_revoked_token_stays_revoked_however_it_is_spelled(make_client):
    client = await make_client("users", "auth", "events", "experiments", "datapoints")
    token = await login(client, *ADMIN)
    assert jwt.decode(token, options={"verify_signature": False})["jti"]
    assert (await client.post("/api/v1/auth/logout", headers=bearer(token))).status == 200
    # PyJWT still verifies the signature with one "=" of padding appended: the same token, revoked.
    for spelling in (token, token + "="):
        resp = await client.get("/api/v1/auth/me", headers=bearer(spelling))
        assert resp.status == 401 and await resp.json() == REVOKED, spelling[-4:]
        for path in ("/ws/datapoints/stream", "/ws/controller/telemetry"):
            assert await ws_close_reason(client, spelling, path) == "Token has been revoked", (path, spelling[-4:])
    for spelling in (token + "==", token + "===", token + "=.", token.replace(".", "=.", 1)):
        assert (await client.get("/api/v1/auth/me", headers=bearer(spelling))).status == 401, spelling
        assert await ws_close_reason(client, spelling) is not None, spelling
    # A token of a later login is another identity, untouched by that logout.
    fresh = await login(client, *ADMIN)
    assert (await client.get("/api/v1/auth/me", headers=bearer(fresh))).status == 200


async def test_a_correctly_signed_token_without_identity_is_refused(make_client):
    client = await make_client("users", "auth")
    me = await (await client.get("/api/v1/auth/me", headers=bearer(await login(client, *ADMIN)))).json()
    assert me["role"] == "admin"
    now = int(time.time())
    anonymous = jwt.encode({"sub": "1", "role": "admin", "iat": now, "exp": now + 600}, TEST_SECRET, "HS256")
    resp = await client.get("/api/v1/auth/me", headers=bearer(anonymous))
    assert resp.status == 401 and await resp.json() == INVALID


async def test_tokens_from_before_a_password_or_role_change_stop_working(make_client, auth_headers):
    client = await make_client("users", "auth", "events", "experiments", "datapoints")
    admin = await auth_headers(client, "admin")
    viewer_token = (await auth_headers(client, "viewer"))["Authorization"].split(" ", 1)[1]
    other_device = await login(client, "viewer@example.com", "viewer-password-1")
    me = await (await client.get("/api/v1/auth/me", headers=bearer(viewer_token))).json()

    changed = await client.put(f"/api/v1/users/{me['public_id']}", json={"password": "a-new-password-2"},
                               headers=bearer(viewer_token))
    assert changed.status == 200
    for old in (viewer_token, other_device):
        resp = await client.get("/api/v1/auth/me", headers=bearer(old))
        assert resp.status == 401 and await resp.json() == INVALID
        assert await ws_close_reason(client, old) == "Invalid or expired token"
    after_password = await login(client, "viewer@example.com", "a-new-password-2")
    assert (await client.get("/api/v1/auth/me", headers=bearer(after_password))).status == 200

    promoted = await client.put(f"/api/v1/users/{me['public_id']}", json={"role": "operator"}, headers=admin)
    assert promoted.status == 200
    resp = await client.get("/api/v1/auth/me", headers=bearer(after_password))
    assert resp.status == 401 and await resp.json() == INVALID
    after_role = await login(client, "viewer@example.com", "a-new-password-2")
    assert (await (await client.get("/api/v1/auth/me", headers=bearer(after_role))).json())["role"] == "operator"
    # Other changes (a new username) leave tokens alone; so does the admin's own token.
    assert (await client.put(f"/api/v1/users/{me['public_id']}", json={"username": "vi"},
                             headers=bearer(after_role))).status == 200
    assert (await client.get("/api/v1/auth/me", headers=bearer(after_role))).status == 200
    assert (await client.get("/api/v1/auth/me", headers=admin)).status == 200
