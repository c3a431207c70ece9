"""WebMACS's own web app against our OTA routes: exactly the calls its OTA page and store make
(``frontend/src/stores/ota.ts``, ``views/OtaView.vue``), with every installed plugin loaded."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import aiohttp
from routes_support import installed_plugin_names

sys.path.insert(0, str(Path(__file__).parents[2] / "webmacs_plugins" / "ota" / "tests"))
from ota_support import good_bundle, make_keys


def _t() -> dict[str, str]:
    return {"_t": str(int(time.time() * 1000))}  # the web app's cache-buster on every GET


async def test_the_web_apps_ota_page(make_client, auth_headers, tmp_path):
    key, public = make_keys(tmp_path / "keys")
    env = {"WEBMACS_PLUGIN_DIR": str(tmp_path / "plugins"), "WEBMACS_UPDATE_DIR": str(tmp_path / "updates"),
           "WEBMACS_OTA_TRUSTED_KEYS": public, "WEBMACS_GITHUB_REPO": ""}
    client = await make_client(*installed_plugin_names(), env=env)
    admin = await auth_headers(client)

    async def fetch_updates() -> dict:  # fetchUpdates(page = 1, pageSize = 50)
        resp = await client.get("/api/v1/ota", params={"page": 1, "page_size": 50, **_t()}, headers=admin)
        assert resp.status == 200
        return await resp.json()

    assert await fetch_updates() == {"page": 1, "page_size": 50, "total": 0, "data": []}

    # createUpdate: the dialog sends changelog only when filled in.
    resp = await client.post("/api/v1/ota", json={"version": "2.0.5", "changelog": "Fixes"}, headers=admin)
    assert resp.status == 201 and (await resp.json())["message"] == "Firmware update successfully registered."
    resp = await client.post("/api/v1/ota", json={"version": "2.0.6"}, headers=admin)
    assert resp.status == 201
    listing = await fetch_updates()
    assert listing["total"] == 2
    first = listing["data"][0]
    assert (first["version"], first["status"], first["changelog"], first["has_firmware_file"]) == (
        "2.0.5", "pending", "Fixes", False)
    assert listing["data"][1]["changelog"] is None

    # checkForUpdates (onMounted): every key the GitHub card and the version logic read.
    resp = await client.get("/api/v1/ota/check", params=_t(), headers=admin)
    check = await resp.json()
    assert resp.status == 200
    assert check == {"current_version": "2.0.0", "latest_version": "2.0.6", "update_available": True,
                     "github_latest_version": None, "github_download_url": None, "github_release_url": None,
                     "github_error": "github_repo not configured"}

    # handleFileUpload: multipart field "file".
    bundle = good_bundle(tmp_path, key, version="2.0.7")
    form = aiohttp.FormData()
    form.add_field("file", bundle.read_bytes(), filename=bundle.name, content_type="application/gzip")
    resp = await client.post("/api/v1/ota/upload", data=form, headers=admin)
    assert resp.status == 201
    assert (await resp.json())["message"] == (
        f"Bundle 'webmacs-update-2.0.7.tar.gz' uploaded ({bundle.stat().st_size:,} bytes). "
        "Update will be applied automatically.")
    uploaded = next(u for u in (await fetch_updates())["data"] if u["version"] == "2.0.7")
    assert uploaded["has_firmware_file"] is True and uploaded["status"] == "pending"

    # applyUpdate / rollbackUpdate: POST with no body, then the list is fetched again.
    record_id = first["public_id"]
    resp = await client.post(f"/api/v1/ota/{record_id}/apply", headers=admin)
    assert (resp.status, (await resp.json())["message"]) == (200, "Firmware update applied successfully.")
    applied = next(u for u in (await fetch_updates())["data"] if u["public_id"] == record_id)
    assert applied["status"] == "completed" and applied["completed_on"].endswith("Z")
    resp = await client.post(f"/api/v1/ota/{record_id}/rollback", headers=admin)
    assert (resp.status, (await resp.json())["message"]) == (200, "Firmware update rolled back successfully.")
    rolled = next(u for u in (await fetch_updates())["data"] if u["public_id"] == record_id)
    assert rolled["status"] == "rolled_back"
    # The page's error toasts read a string detail.
    resp = await client.post(f"/api/v1/ota/{record_id}/rollback", headers=admin)
    assert resp.status == 409 and isinstance((await resp.json())["detail"], str)

    # deleteUpdate
    resp = await client.delete(f"/api/v1/ota/{record_id}", headers=admin)
    assert (resp.status, (await resp.json())["message"]) == (200, "FirmwareUpdate successfully deleted.")
    assert (await fetch_updates())["total"] == 2
