"""Update records over the API: the contract's routes, messages and state machine, on both databases."""

from __future__ import annotations

from aiohttp import web
from ota_support import PLUGINS

from webmacs_ota.states import TRANSITIONS, UpdateStatus


async def _logs(client, headers) -> list[str]:
    body = await (await client.get("/api/v1/logging/?page=1&page_size=100", headers=headers)).json()
    return [entry["content"] for entry in body["data"]]


async def _record(client, headers, version):
    listing = await (await client.get("/api/v1/ota?page=1&page_size=50", headers=headers)).json()
    return next(r for r in listing["data"] if r["version"] == version)


async def test_create_list_get_delete_and_validation(make_client, auth_headers, tmp_path):
    client = await make_client(*PLUGINS, env={"WEBMACS_UPDATE_DIR": str(tmp_path / "updates")})
    admin = await auth_headers(client)
    resp = await client.post("/api/v1/ota", json={"version": "2.1.0", "changelog": "Faster export"}, headers=admin)
    assert resp.status == 201
    assert await resp.json() == {"status": "success", "message": "Firmware update successfully registered."}
    resp = await client.post("/api/v1/ota", json={"version": "2.1.0"}, headers=admin)
    assert (resp.status, (await resp.json())["detail"]) == (409, "FirmwareUpdate already exists.")
    for bad in ("v2.1.0", "2.1", "2.1.0-rc1", "01.2.3", "1" * 48 + ".0.0"):
        resp = await client.post("/api/v1/ota", json={"version": bad}, headers=admin)
        assert resp.status == 422, bad
    record = await _record(client, admin, "2.1.0")
    assert set(record) == {"public_id", "version", "changelog", "file_hash_sha256", "file_size_bytes", "status",
                           "error_message", "created_on", "started_on", "completed_on", "user_public_id",
                           "has_firmware_file"}
    assert (record["status"], record["has_firmware_file"], record["changelog"]) == ("pending", False, "Faster export")
    resp = await client.get(f"/api/v1/ota/{record['public_id']}", headers=admin)
    assert (await resp.json())["version"] == "2.1.0"
    resp = await client.get("/api/v1/ota/nope", headers=admin)
    assert (resp.status, (await resp.json())["detail"]) == (404, "FirmwareUpdate 'nope' not found.")
    viewer = await auth_headers(client, "viewer")
    assert (await client.get("/api/v1/ota", headers=viewer)).status == 403
    resp = await client.delete(f"/api/v1/ota/{record['public_id']}", headers=admin)
    assert (await resp.json())["message"] == "FirmwareUpdate successfully deleted."
    assert (await client.get(f"/api/v1/ota/{record['public_id']}", headers=admin)).status == 404
    assert "OTA update 2.1.0 registered." in await _logs(client, admin)


async def test_apply_and_rollback_follow_the_state_machine(make_client, auth_headers, tmp_path):
    client = await make_client(*PLUGINS, env={"WEBMACS_UPDATE_DIR": str(tmp_path / "updates")})
    admin = await auth_headers(client)
    await client.post("/api/v1/ota", json={"version": "2.2.0"}, headers=admin)
    record = await _record(client, admin, "2.2.0")
    url = f"/api/v1/ota/{record['public_id']}"
    resp = await client.post(f"{url}/rollback", headers=admin)
    assert (resp.status, (await resp.json())["detail"]) == (409, "Cannot transition from 'pending' to 'rolled_back'")
    resp = await client.post(f"{url}/apply", headers=admin)
    assert (resp.status, (await resp.json())["message"]) == (200, "Firmware update applied successfully.")
    record = await _record(client, admin, "2.2.0")
    assert record["status"] == "completed" and record["completed_on"] and record["started_on"]
    resp = await client.post(f"{url}/apply", headers=admin)
    assert (resp.status, (await resp.json())["detail"]) == (409, "Cannot transition from 'completed' to 'completed'")
    resp = await client.post(f"{url}/rollback", headers=admin)
    assert (resp.status, (await resp.json())["message"]) == (200, "Firmware update rolled back successfully.")
    record = await _record(client, admin, "2.2.0")
    assert record["status"] == "rolled_back" and record["error_message"] == "rolled back by an administrator"
    resp = await client.post(f"{url}/rollback", headers=admin)
    assert resp.status == 409
    resp = await client.post(f"{url}/apply", json={"file_hash_sha256": "ab"}, headers=admin)
    assert resp.status == 422
    logs = await _logs(client, admin)
    assert any("2.2.0: pending → completed" in line for line in logs)
    assert any("2.2.0: completed → rolled_back: rolled back by an administrator" in line for line in logs)


def test_transition_table_is_the_contracts():
    S = UpdateStatus
    assert {k: set(v) for k, v in TRANSITIONS.items()} == {
        S.PENDING: {S.DOWNLOADING, S.COMPLETED, S.FAILED}, S.DOWNLOADING: {S.VERIFYING, S.FAILED},
        S.VERIFYING: {S.APPLYING, S.FAILED}, S.APPLYING: {S.COMPLETED, S.FAILED}, S.COMPLETED: {S.ROLLED_BACK},
        S.FAILED: {S.PENDING}, S.ROLLED_BACK: {S.PENDING},
    }


async def _github_stub(aiohttp_server, status: int, release: dict | None = None):
    async def latest(request: web.Request) -> web.Response:
        assert request.match_info["repo"] == "webmacs"
        return web.json_response(release or {"message": "Not Found"}, status=status)

    app = web.Application()
    app.router.add_get("/repos/acme/{repo}/releases/latest", latest)
    return await aiohttp_server(app)


async def test_check_compares_records_and_the_latest_release(make_client, auth_headers, aiohttp_server, tmp_path):
    release = {"tag_name": "v2.5.0", "html_url": "https://github.com/acme/webmacs/releases/v2.5.0",
               "assets": [{"name": "notes.txt", "browser_download_url": "https://x/notes.txt"},
                          {"name": "webmacs-update-2.5.0.tar.gz", "browser_download_url": "https://x/b.tar.gz"}]}
    server = await _github_stub(aiohttp_server, 200, release)
    env = {"WEBMACS_UPDATE_DIR": str(tmp_path / "u"), "WEBMACS_GITHUB_REPO": "acme/webmacs",
           "WEBMACS_GITHUB_API_URL": str(server.make_url("")), "WEBMACS_EGRESS_ALLOW": "127.0.0.1/32"}
    client = await make_client(*PLUGINS, env=env)
    admin = await auth_headers(client)
    await client.post("/api/v1/ota", json={"version": "2.3.0"}, headers=admin)
    viewer = await auth_headers(client, "viewer")
    body = await (await client.get("/api/v1/ota/check", headers=viewer)).json()
    assert body == {"current_version": "2.0.0", "latest_version": "2.5.0", "update_available": True,
                    "github_latest_version": "2.5.0", "github_download_url": "https://x/b.tar.gz",
                    "github_release_url": "https://github.com/acme/webmacs/releases/v2.5.0", "github_error": None}


async def test_check_without_releases_and_through_the_egress_guard(make_client, auth_headers, aiohttp_server,
                                                                   tmp_path):
    server = await _github_stub(aiohttp_server, 404)
    base = {"WEBMACS_UPDATE_DIR": str(tmp_path / "u"), "WEBMACS_GITHUB_REPO": "acme/webmacs",
            "WEBMACS_GITHUB_API_URL": str(server.make_url(""))}
    client = await make_client(*PLUGINS, env={**base, "WEBMACS_EGRESS_ALLOW": "127.0.0.1/32"})
    admin = await auth_headers(client)
    await client.post("/api/v1/ota", json={"version": "2.4.0"}, headers=admin)
    body = await (await client.get("/api/v1/ota/check", headers=admin)).json()
    assert (body["latest_version"], body["update_available"], body["github_error"]) == ("2.4.0", True, None)
    assert body["github_latest_version"] is None
    # Without the allow-list entry the loopback stand-in is an internal address: refused, nothing sent.
    client = await make_client(*PLUGINS, env=base)
    admin = await auth_headers(client)
    body = await (await client.get("/api/v1/ota/check", headers=admin)).json()
    assert body["github_latest_version"] is None and "127.0.0.1" in body["github_error"], body
    assert body["latest_version"] == "2.4.0"  # the record still counts
    client = await make_client(*PLUGINS, env={**base, "WEBMACS_GITHUB_REPO": ""})
    body = await (await client.get("/api/v1/ota/check", headers=await auth_headers(client))).json()
    assert body["github_error"] == "github_repo not configured"


async def test_a_restart_fails_records_left_mid_update_and_a_deleted_creator_leaves_no_owner(
        make_client, auth_headers, tmp_path):
    import sqlalchemy as sa

    from webmacs_ota.tables import firmware_updates
    from webmacs_sdk.keys import DATABASE

    env = {"WEBMACS_UPDATE_DIR": str(tmp_path / "u")}
    client = await make_client(*PLUGINS, env=env)
    admin = await auth_headers(client)
    operator = await auth_headers(client, "operator")  # created by the admin; promoted below
    me = await (await client.get("/api/v1/auth/me", headers=operator)).json()
    for version in ("3.0.0", "3.0.1"):
        await client.post("/api/v1/ota", json={"version": version}, headers=admin)
    async with client.app[DATABASE].transaction() as tx:  # as a server killed during an install leaves it
        await tx.conn.execute(sa.update(firmware_updates).where(firmware_updates.c.version == "3.0.0")
                              .values(status="applying", user_public_id=me["public_id"]))
    client = await make_client(*PLUGINS, env=env)  # restarted on the same database
    admin = await auth_headers(client)
    record = await _record(client, admin, "3.0.0")
    assert (record["status"], record["error_message"]) == (
        "failed", "interrupted: the server stopped before this step finished")
    assert (await _record(client, admin, "3.0.1"))["status"] == "pending"
    resp = await client.delete(f"/api/v1/users/{me['public_id']}", headers=admin)
    assert resp.status == 200, await resp.text()
    record = await _record(client, admin, "3.0.0")
    assert record["user_public_id"] is None  # BEAT (#27): the list still answers
