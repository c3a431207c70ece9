"""Updates for controllers over the API: a controller bundle is accepted, offered to controllers once
applied, downloaded with the controller's credentials, and what controllers report is kept and logged."""

from __future__ import annotations

import asyncio
import hashlib

import aiohttp
from ota_support import PLUGINS, good_bundle, make_keys


async def _upload(client, headers, path):
    form = aiohttp.FormData()
    form.add_field("file", path.read_bytes(), filename=path.name, content_type="application/gzip")
    resp = await client.post("/api/v1/ota/upload", data=form, headers=headers)
    return resp.status, await resp.json()


async def _record(client, headers, version, status, within=20.0):
    deadline = asyncio.get_running_loop().time() + within
    while True:
        listing = await (await client.get("/api/v1/ota?page=1&page_size=50", headers=headers)).json()
        record = next((r for r in listing["data"] if r["version"] == version), None)
        if record is not None and record["status"] == status:
            return record
        assert asyncio.get_running_loop().time() < deadline, f"{version} is {record and record['status']}"
        await asyncio.sleep(0.1)


async def _offer(client, headers, controller_id, version):
    resp = await client.get("/api/v1/ota/controller/offer", params={"controller_id": controller_id,
                                                                    "version": version}, headers=headers)
    assert resp.status == 200, await resp.text()
    return (await resp.json())["update"]


async def _report(client, headers, **body):
    resp = await client.post("/api/v1/ota/controller/report", json=body, headers=headers)
    return resp.status, await resp.json()


async def test_a_controller_bundle_is_offered_downloaded_and_reported(make_client, auth_headers, tmp_path):
    key, public = make_keys(tmp_path / "keys")
    env = {"WEBMACS_UPDATE_DIR": str(tmp_path / "updates"), "WEBMACS_OTA_TRUSTED_KEYS": public}
    client = await make_client(*PLUGINS, env=env)
    admin, operator = await auth_headers(client), await auth_headers(client, "operator")
    viewer = await auth_headers(client, "viewer")
    # A bookkeeping record and a server bundle are never offered to controllers.
    await client.post("/api/v1/ota", json={"version": "2.0.9"}, headers=admin)
    record = await _record(client, admin, "2.0.9", "pending")
    await client.post(f"/api/v1/ota/{record['public_id']}/apply", headers=admin)
    assert await _offer(client, operator, "ctl-a", "2.0.0") is None

    # Without a supervisor the server cannot install, but a controller bundle needs none: applied at once.
    bundle = good_bundle(tmp_path / "b1", key, version="2.0.1", targets=("controller",))
    assert (await _upload(client, admin, bundle))[0] == 201
    record = await _record(client, admin, "2.0.1", "completed")
    digest = hashlib.sha256(bundle.read_bytes()).hexdigest()
    assert record["file_hash_sha256"] == digest

    update = await _offer(client, operator, "ctl-a", "2.0.0")
    assert update == {"public_id": record["public_id"], "version": "2.0.1", "file_size_bytes": bundle.stat().st_size,
                      "file_hash_sha256": digest,
                      "download_path": f"/api/v1/ota/controller/bundle/{record['public_id']}/{digest}"}
    resp = await client.get(update["download_path"], headers=operator)
    assert resp.status == 200 and await resp.read() == bundle.read_bytes()
    resp = await client.get(f"/api/v1/ota/controller/bundle/{record['public_id']}/{'0' * 64}", headers=operator)
    assert resp.status == 404 and "detail" in await resp.json()
    assert (await client.get(update["download_path"], headers=viewer)).status == 403
    resp = await client.get("/api/v1/ota/controller/offer", params={"controller_id": "x", "version": "v2"},
                            headers=operator)
    assert resp.status == 422
    assert await _offer(client, operator, "ctl-a", "2.0.1") is None  # nothing newer than what it runs

    # Controller a switches; controller b cannot take the bundle and is not offered it again.
    assert await _report(client, operator, controller_id="ctl-a", version="2.0.0", state="downloading",
                         update_version="2.0.1") == (200, {"status": "success", "message": "Report recorded."})
    await _offer(client, operator, "ctl-a", "2.0.1")  # the new version asks before it reports (was: from the report)
    await _report(client, operator, controller_id="ctl-a", version="2.0.1", state="running", update_version="2.0.1",
                  from_version="2.0.0")
    await _report(client, operator, controller_id="ctl-b", version="2.0.0", state="rolled_back",
                  update_version="2.0.1", message="no data sent within 60 s of the switch")
    assert await _offer(client, operator, "ctl-b", "2.0.0") is None
    assert (await _offer(client, operator, "ctl-c", "2.0.0"))["version"] == "2.0.1"
    assert (await _report(client, operator, controller_id="ctl-a", version="2.0.1", state="exploded"))[0] == 422

    resp = await client.get("/api/v1/ota/controllers", headers=admin)
    fleet = {c["controller_id"]: c for c in await resp.json()}
    assert (fleet["ctl-a"]["version"], fleet["ctl-a"]["state"]) == ("2.0.1", "running")
    assert (fleet["ctl-b"]["version"], fleet["ctl-b"]["state"], fleet["ctl-b"]["update_version"]) == (
        "2.0.0", "rolled_back", "2.0.1")
    assert fleet["ctl-c"]["version"] == "2.0.0" and fleet["ctl-a"]["last_seen"].endswith("Z")
    assert (await client.get("/api/v1/ota/controllers", headers=operator)).status == 403
    logs = await (await client.get("/api/v1/logging/?page_size=100", headers=admin)).json()
    entries = {e["content"]: e["logging_type"] for e in logs["data"]}
    assert entries["OTA controller ctl-a runs version 2.0.1 (was 2.0.0)."] == "info"
    assert entries["OTA controller ctl-b rolled back update 2.0.1; it runs 2.0.0: no data sent within 60 s of "
                   "the switch"] == "error"
    assert any(c.startswith("OTA update 2.0.1: applying → completed. Offered to controllers") for c in entries)

    # Rolled back on the server: no longer offered, no longer served.
    resp = await client.post(f"/api/v1/ota/{record['public_id']}/rollback", headers=admin)
    assert resp.status == 200
    assert await _offer(client, operator, "ctl-c", "2.0.0") is None
    assert (await client.get(update["download_path"], headers=operator)).status == 404

    # A controller running it is told to switch back (and offered nothing meanwhile).
    resp = await client.get("/api/v1/ota/controller/offer", params={"controller_id": "ctl-a", "version": "2.0.1"},
                            headers=operator)
    assert await resp.json() == {"update": None, "rollback": {"public_id": record["public_id"], "version": "2.0.1",
                                                              "reason": "rolled back by an administrator"}}
