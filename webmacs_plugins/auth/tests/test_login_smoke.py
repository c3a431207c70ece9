async def test_login_and_me(make_client):
    client = await make_client("users", "auth")
    resp = await client.post("/api/v1/auth/login", json={"email": "admin@example.com", "password": "admin-password-1"})
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    token = body["access_token"]
    me = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert (await me.json())["role"] == "admin"
