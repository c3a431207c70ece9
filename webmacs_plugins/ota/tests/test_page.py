"""The OTA page of the web UI: what an admin sees and can do; other roles get the 403 page."""

from __future__ import annotations

PLUGINS_WITH_UI = ("users", "auth", "logs", "ota", "ui")


async def _browser_session(client, auth_headers, role: str) -> None:
    await auth_headers(client, role)
    client.session.cookie_jar.clear()
    email, password = f"{role}@example.com", f"{role}-password-1"
    resp = await client.post("/api/v1/auth/session", json={"email": email, "password": password})
    assert resp.status == 200, await resp.text()


async def test_ota_page_lists_updates_and_offers_their_actions(make_client, auth_headers, tmp_path):
    env = {"WEBMACS_UPDATE_DIR": str(tmp_path / "u"), "WEBMACS_GITHUB_REPO": ""}
    client = await make_client(*PLUGINS_WITH_UI, env=env)
    admin = await auth_headers(client)
    await client.post("/api/v1/ota", json={"version": "2.3.0", "changelog": "Quieter pumps"}, headers=admin)
    await client.post("/api/v1/ota", json={"version": "2.4.0"}, headers=admin)
    listing = await (await client.get("/api/v1/ota", headers=admin)).json()
    first = listing["data"][0]["public_id"]
    await client.post(f"/api/v1/ota/{first}/apply", headers=admin)
    operator = await auth_headers(client, "operator")
    report = {"controller_id": "edge-7", "version": "2.3.0", "state": "rolled_back", "update_version": "2.4.0",
              "message": "no batch acknowledged within 60 s"}
    assert (await client.post("/api/v1/ota/controller/report", json=report, headers=operator)).status == 200

    await _browser_session(client, auth_headers, "admin")
    resp = await client.get("/ota")
    html = await resp.text()
    assert resp.status == 200
    assert "<h1>OTA updates</h1>" in html and "Running version 2.0.0" in html
    assert "Version 2.4.0 is available." in html and "github_repo not configured" in html
    assert "does not run under the OTA supervisor" in html
    assert "<code>edge-7</code>" in html and "rolled_back (2.4.0)" in html
    assert '<span class="error-text">no batch acknowledged within 60 s</span>' in html
    assert 'action="/api/v1/ota/upload"' in html and 'data-api="POST /api/v1/ota"' in html
    assert "Quieter pumps" in html
    assert f'data-api="POST /api/v1/ota/{first}/rollback"' in html  # completed: roll back offered
    second = listing["data"][1]["public_id"]
    assert f'data-api="POST /api/v1/ota/{second}/apply"' in html  # pending: apply offered
    assert f'data-api="POST /api/v1/ota/{first}/apply"' not in html
    menu = await (await client.get("/api/v1/ui/menu")).json()
    assert any(item["href"] == "/ota" for item in menu)
    assert '<form id="bundle-upload" class="card" data-upload' in html  # sent by the ui's upload with progress

    await _browser_session(client, auth_headers, "operator")
    assert (await client.get("/ota", headers={"Accept": "text/html"})).status == 403
    menu = await (await client.get("/api/v1/ui/menu")).json()
    assert all(item["href"] != "/ota" for item in menu)
