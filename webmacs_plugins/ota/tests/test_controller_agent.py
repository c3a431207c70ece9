"""The controller's side of an update against a real server on loopback: it asks for the offered
update, downloads it over its own login, checks the bundle itself, and either refuses it (a log line,
a report, nothing installed, not taken again) or installs it beside and asks its supervisor to switch."""

from __future__ import annotations

import asyncio
import json
import logging

import aiohttp
from ota_support import PLUGINS, good_bundle, make_keys, make_wheel

from webmacs_controller.api import ApiClient
from webmacs_controller.httpclient import HttpClient
from webmacs_controller.ota import UpdateAgent
from webmacs_controller.settings import ControllerSettings
from webmacs_sdk.testing.pytest_plugin import BASE_ENV


async def test_the_controller_refuses_bad_bundles_and_installs_a_good_one(make_app, aiohttp_server, tmp_path,
                                                                           caplog):
    key, public = make_keys(tmp_path / "keys")
    other, other_public = make_keys(tmp_path / "keys", "other")
    env = {"WEBMACS_UPDATE_DIR": str(tmp_path / "updates"), "WEBMACS_OTA_TRUSTED_KEYS": f"{public},{other_public}"}
    server = await aiohttp_server(make_app(*PLUGINS, env=env))
    admin = {"email": BASE_ENV["WEBMACS_INITIAL_ADMIN_EMAIL"], "password": BASE_ENV["WEBMACS_INITIAL_ADMIN_PASSWORD"]}
    root = tmp_path / "edge"
    settings = ControllerSettings(server_url="http://127.0.0.1", server_port=server.port, admin_email=admin["email"],
                                  admin_password=admin["password"], ota_root=str(root), ota_trusted_keys=public,
                                  request_timeout=60)
    http = HttpClient(timeout=60)
    api = ApiClient(settings, http)
    await api.login()
    agent = UpdateAgent(settings, api, "edge-1", lambda: 1)
    assert agent.running == "2.0.0"  # not installed under a supervisor yet: the package's version

    async with aiohttp.ClientSession(str(server.make_url(""))) as session:
        async with session.post("/api/v1/auth/login", json=admin) as resp:
            headers = {"Authorization": f"Bearer {(await resp.json())['access_token']}"}

        async def offer(bundle) -> None:
            form = aiohttp.FormData()
            form.add_field("file", bundle.read_bytes(), filename=bundle.name, content_type="application/gzip")
            async with session.post("/api/v1/ota/upload", data=form, headers=headers) as resp:
                assert resp.status == 201, await resp.text()

        async def fleet() -> dict:
            async with session.get("/api/v1/ota/controllers", headers=headers) as resp:
                return (await resp.json())[0]

        async def settle(version: str) -> None:  # the upload is applied in the background
            for _ in range(300):
                async with session.get("/api/v1/ota?page_size=50", headers=headers) as resp:
                    if any(r["version"] == version and r["status"] == "completed" for r in (await resp.json())["data"]):
                        return
                await asyncio.sleep(0.1)
            raise AssertionError(f"{version} was not offered")

        # Signed by a key the server trusts and this controller does not: refused here.
        wheel = make_wheel(tmp_path / "w", "acme_edge", "1.0.0")
        await offer(good_bundle(tmp_path / "b1", other, version="2.0.1", targets=("controller",), wheels=[wheel]))
        await settle("2.0.1")
        with caplog.at_level(logging.INFO, "webmacs.controller.ota"):
            await agent.check_once()
            await agent._send_reports()
        assert "OTA: bundle 2.0.1 refused: bundle signature does not match any trusted key (wrong key or altered " \
               "manifest).; nothing installed" in caplog.text
        row = await fleet()
        assert (row["controller_id"], row["version"], row["state"], row["update_version"]) == (
            "edge-1", "2.0.0", "refused", "2.0.1")
        assert not (root / "versions").exists() and not (root / "state" / "request.json").exists()
        assert [p.name for p in (root / "downloads").iterdir()] == []  # the download went with the refusal
        caplog.clear()
        await agent.check_once()  # not offered again (and not taken again)
        assert "bundle 2.0.1" not in caplog.text

        # Needs a newer version to update from than this controller runs: refused by the version rule.
        await offer(good_bundle(tmp_path / "b2", key, version="2.0.2", min_from="2.0.1", targets=("controller",),
                                wheels=[wheel]))
        await settle("2.0.2")
        await agent.check_once()
        await agent._send_reports()
        row = await fleet()
        assert (row["state"], row["update_version"]) == ("refused", "2.0.2")
        assert "needs at least version 2.0.1" in row["message"]

        # A good one: installed beside, then the supervisor is asked to switch.
        await offer(good_bundle(tmp_path / "b3", key, version="2.0.3", targets=("controller",), wheels=[wheel]))
        await settle("2.0.3")
        await agent.check_once()
        assert agent.switching
        request = json.loads((root / "state" / "request.json").read_text())
        assert (request["action"], request["version"], request["from_version"]) == ("switch", "2.0.3", "2.0.0")
        assert (root / "versions" / "2.0.3" / ".complete").exists()
        row = await fleet()
        assert (row["state"], row["update_version"]) == ("switching", "2.0.3")
    await http.close()
