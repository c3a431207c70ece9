"""``POST /ota/{id}/apply`` with a ``download_url``, as the contract allows: the bundle is fetched
through the egress guard (redirects checked hop by hop), its hash and signature checked, installed
beside the running environment, and the switch asked of the supervisor; each failure is a 400 with
the contract's text and a ``failed`` record that stays failed."""

from __future__ import annotations

import asyncio
import json

from aiohttp import web
from ota_support import PLUGINS, good_bundle, make_keys

from webmacs_sdk.ota.bundle import sha256_file


async def _bundle_server(aiohttp_server, bundle_bytes: bytes):
    async def bundle(request: web.Request) -> web.Response:
        return web.Response(body=bundle_bytes, content_type="application/gzip")

    async def moved(request: web.Request) -> web.Response:
        raise web.HTTPFound("/files/bundle.tar.gz")

    app = web.Application()
    app.router.add_get("/files/bundle.tar.gz", bundle)
    app.router.add_get("/latest", moved)
    return await aiohttp_server(app)


async def _record(client, headers, version):
    listing = await (await client.get("/api/v1/ota", headers=headers)).json()
    return next(r for r in listing["data"] if r["version"] == version)


async def test_apply_downloads_checks_installs_and_asks_for_the_switch(make_client, auth_headers, aiohttp_server,
                                                                         tmp_path):
    key, public = make_keys(tmp_path / "keys")
    bundle = good_bundle(tmp_path / "b", key, version="2.0.3")
    server = await _bundle_server(aiohttp_server, bundle.read_bytes())
    root = tmp_path / "install"
    env = {"WEBMACS_UPDATE_DIR": str(tmp_path / "updates"), "WEBMACS_OTA_TRUSTED_KEYS": public,
           "WEBMACS_OTA_ROOT": str(root), "WEBMACS_EGRESS_ALLOW": "127.0.0.1/32"}
    client = await make_client(*PLUGINS, env=env)
    admin = await auth_headers(client)
    for version in ("2.0.3", "2.0.4", "2.0.5", "2.0.6"):
        await client.post("/api/v1/ota", json={"version": version}, headers=admin)

    async def apply(version: str, body: dict) -> tuple[int, dict]:
        record = await _record(client, admin, version)
        resp = await client.post(f"/api/v1/ota/{record['public_id']}/apply", json=body, headers=admin)
        return resp.status, await resp.json()

    # Failures: each persisted as failed with the reason.
    missing = str(server.make_url("/files/nothing.tar.gz"))
    assert await apply("2.0.4", {"download_url": missing}) == (400, {"detail": "download_failed: status 404"})
    assert (await _record(client, admin, "2.0.4"))["status"] == "failed"
    wrong_hash = {"download_url": str(server.make_url("/latest")), "file_hash_sha256": "0" * 64}
    assert await apply("2.0.5", wrong_hash) == (400, {"detail": "SHA-256 hash verification failed"})
    record = await _record(client, admin, "2.0.5")
    assert (record["status"], record["error_message"]) == ("failed", "SHA-256 hash verification failed")
    status, body = await apply("2.0.6", {"download_url": "http://169.254.169.254/latest/bundle.tar.gz"})
    assert status == 400 and body["detail"].startswith("download_failed: ") and "metadata" in body["detail"]
    status, body = await apply("2.0.6", {"download_url": str(server.make_url("/latest"))})
    assert status == 409  # failed → downloading is not a transition; it must go back to pending first

    # Success, through a redirect: downloaded, checked, installed, switch requested.
    good = {"download_url": str(server.make_url("/latest")), "file_hash_sha256": sha256_file(bundle)}
    assert await apply("2.0.3", good) == (
        200, {"status": "success", "message": "Firmware update applied successfully."})
    for _ in range(600):
        record = await _record(client, admin, "2.0.3")
        if record["status"] in ("completed", "failed"):
            break
        await asyncio.sleep(0.1)
    assert (record["status"], record["has_firmware_file"], record["file_hash_sha256"]) == (
        "completed", True, sha256_file(bundle)), record
    assert (root / "versions" / "2.0.3" / ".complete").exists()
    assert (root / "versions" / "2.0.3" / "lib").is_dir()
    # The record is completed first, then the switch is asked for (a server stopped in between fails
    # no record): wait for the request.
    for _ in range(100):
        if (root / "state" / "request.json").exists():
            break
        await asyncio.sleep(0.1)
    request = json.loads((root / "state" / "request.json").read_text())
    assert (request["action"], request["version"], request["record"]) == ("switch", "2.0.3", record["public_id"])
    logs = await (await client.get("/api/v1/logging/?page_size=100", headers=admin)).json()
    steps = [e["content"] for e in logs["data"] if e["content"].startswith("OTA update 2.0.3: ")]
    assert [s.split(": ")[1].split(".")[0] for s in reversed(steps)] == [
        "pending → downloading", "downloading → verifying", "verifying → applying", "applying → completed"]
