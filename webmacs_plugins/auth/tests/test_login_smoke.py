async def test_login_and_me(make_client, auth_headers):
    client = await make_client("users", "auth")
    me = await client.get("/api/v1/auth/me", headers=await auth_headers(client, "operator"))
    assert me.status == 200
    assert (await me.json())["role"] == "operator"
