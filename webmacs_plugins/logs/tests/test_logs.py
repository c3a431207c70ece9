"""The log: entries written by login and startup, and the /logging API."""

from webmacs_sdk.testing.pytest_plugin import login


async def _entries(client, headers):
    return (await (await client.get("/api/v1/logging/", params={"page_size": 50}, headers=headers)).json())["data"]


async def test_startup_and_login_write_entries(make_client, auth_headers):
    client = await make_client("users", "auth", "logs")
    admin = await auth_headers(client, "admin")
    contents = [e["content"] for e in await _entries(client, admin)]
    assert "User 'admin' logged in." in contents
    assert "WebMACS Backend v2.0.0 started." in contents
    assert contents.index("User 'admin' logged in.") < contents.index("WebMACS Backend v2.0.0 started.")


async def test_operator_creates_and_marks_read(make_client, auth_headers):
    client = await make_client("users", "auth", "logs")
    operator = await auth_headers(client, "operator")
    resp = await client.post("/api/v1/logging", json={"content": "Valve 3 replaced", "logging_type": "warning"},
                             headers=operator)
    assert resp.status == 201
    assert (await resp.json())["message"] == "Log entry successfully created."
    entry = next(e for e in await _entries(client, operator) if e["content"] == "Valve 3 replaced")
    assert entry["logging_type"] == "warning" and entry["status_type"] == "unread"
    upd = await client.put(f"/api/v1/logging/{entry['public_id']}", json={"status_type": "read"}, headers=operator)
    assert (await upd.json())["message"] == "LogEntry successfully updated."
    got = await (await client.get(f"/api/v1/logging/{entry['public_id']}", headers=operator)).json()
    assert got["status_type"] == "read"


async def test_viewer_reads_but_cannot_write(make_client, auth_headers):
    client = await make_client("users", "auth", "logs")
    viewer = await auth_headers(client, "viewer")
    assert (await client.get("/api/v1/logging", headers=viewer)).status == 200
    resp = await client.post("/api/v1/logging", json={"content": "x"}, headers=viewer)
    assert resp.status == 403 and (await resp.json())["detail"] == "Operator privileges required."


async def test_bad_input_and_unknown_ids(make_client, auth_headers):
    client = await make_client("users", "auth", "logs")
    admin = await auth_headers(client, "admin")
    for body in ({"content": ""}, {"content": "x" * 501}, {"content": "x", "logging_type": "fatal"}):
        assert (await client.post("/api/v1/logging", json=body, headers=admin)).status == 422
    missing = await client.get("/api/v1/logging/unknown-id", headers=admin)
    assert (await missing.json()) == {"detail": "LogEntry 'unknown-id' not found."}
    assert (await client.put("/api/v1/logging/unknown-id", json={}, headers=admin)).status == 404
    assert (await client.delete("/api/v1/logging/unknown-id", headers=admin)).status == 405


async def test_entries_of_a_deleted_user_are_kept(make_client, auth_headers):
    client = await make_client("users", "auth", "logs")
    admin = await auth_headers(client, "admin")
    await auth_headers(client, "operator")
    await login(client, "operator@example.com", "operator-password-1")
    users = (await (await client.get("/api/v1/users", headers=admin)).json())["data"]
    operator_id = next(u["public_id"] for u in users if u["username"] == "operator")
    assert (await client.delete(f"/api/v1/users/{operator_id}", headers=admin)).status == 200
    contents = [e["content"] for e in await _entries(client, admin)]
    assert "User 'operator' logged in." in contents
