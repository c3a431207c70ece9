"""API tokens: shown once, stored hashed, expiring, revocable, owner's current role."""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from webmacs_sdk import DATABASE


async def _create(client, headers, **body):
    resp = await client.post("/api/v1/tokens", json={"name": "controller", **body}, headers=headers)
    assert resp.status == 201, await resp.text()
    return await resp.json()


async def test_token_is_shown_once_and_stored_hashed(make_client, auth_headers):
    client = await make_client("users", "auth", "tokens")
    admin = await auth_headers(client, "admin")
    created = await _create(client, admin)
    assert list(created) == ["public_id", "name", "token", "expires_at", "created_at"]
    assert created["token"].startswith("wm_") and len(created["token"]) == 67
    listing = await (await client.get("/api/v1/tokens", headers=admin)).json()
    assert "token" not in listing["data"][0]
    async with client.app[DATABASE].connect() as conn:
        stored = (await conn.execute(sa.text("SELECT token_hash FROM api_tokens"))).scalars().all()
    assert created["token"] not in stored and len(stored[0]) == 64


async def test_token_authenticates_with_owner_current_role(make_client, auth_headers):
    client = await make_client("users", "auth", "tokens")
    viewer = await auth_headers(client, "viewer")
    token = (await _create(client, viewer))["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    me = await (await client.get("/api/v1/auth/me", headers=bearer)).json()
    assert me["role"] == "viewer"
    listing = await (await client.get("/api/v1/tokens", headers=bearer)).json()
    assert listing["data"][0]["last_used_at"] is not None


async def test_expired_unknown_and_deleted_tokens_are_401(make_client, auth_headers):
    client = await make_client("users", "auth", "tokens")
    admin = await auth_headers(client, "admin")
    soon = datetime.now(UTC) + timedelta(seconds=1)
    created = await _create(client, admin, expires_at=soon.isoformat())
    async with client.app[DATABASE].transaction() as tx:
        await tx.conn.execute(sa.text("UPDATE api_tokens SET expires_at = :t"), {"t": datetime.now(UTC) - timedelta(1)})
    expired = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {created['token']}"})
    assert (await expired.json())["detail"] == "API token has expired."
    unknown = await client.get("/api/v1/auth/me", headers={"Authorization": "Bearer wm_" + "x" * 64})
    assert (await unknown.json())["detail"] == "Invalid API token."
    live = await _create(client, admin)
    assert (await client.delete(f"/api/v1/tokens/{live['public_id']}", headers=admin)).status == 200
    gone = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {live['token']}"})
    assert gone.status == 401


async def test_past_expiry_is_rejected_at_creation(make_client, auth_headers):
    client = await make_client("users", "auth", "tokens")
    admin = await auth_headers(client, "admin")
    resp = await client.post("/api/v1/tokens", json={"name": "x", "expires_at": "2001-01-01T00:00:00Z"}, headers=admin)
    assert resp.status == 422


async def test_logout_with_an_api_token_revokes_it(make_client, auth_headers):
    client = await make_client("users", "auth", "tokens")
    admin = await auth_headers(client, "admin")
    bearer = {"Authorization": f"Bearer {(await _create(client, admin))['token']}"}
    assert (await client.post("/api/v1/auth/logout", headers=bearer)).status == 200
    assert (await client.get("/api/v1/auth/me", headers=bearer)).status == 401


async def test_only_owner_or_admin_deletes_and_listing_is_scoped(make_client, auth_headers):
    client = await make_client("users", "auth", "tokens")
    admin = await auth_headers(client, "admin")
    viewer = await auth_headers(client, "viewer")
    operator = await auth_headers(client, "operator")
    mine = await _create(client, viewer)
    await _create(client, operator)
    other = await client.delete(f"/api/v1/tokens/{mine['public_id']}", headers=operator)
    assert other.status == 403
    assert (await other.json())["detail"] == "Cannot delete another user's token."
    assert (await (await client.get("/api/v1/tokens", headers=viewer)).json())["total"] == 1
    assert (await (await client.get("/api/v1/tokens", headers=admin)).json())["total"] == 2
    missing = await client.delete("/api/v1/tokens/nope", headers=admin)
    assert (await missing.json())["detail"] == "API token not found."
