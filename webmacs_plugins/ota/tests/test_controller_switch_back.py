"""A manual rollback reaches controllers: a controller running the version of a record an administrator
rolls back is told so in its offer, asks its supervisor to switch back, and the version it then runs
reports ``switched_back``; the server shows the version it runs. A real server on loopback, the
controller's update agent, and the SDK's supervisor with a stand-in controller program."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import aiohttp
from ota_support import PLUGINS, good_bundle, make_keys, make_wheel

from webmacs_controller.api import ApiClient
from webmacs_controller.httpclient import HttpClient
from webmacs_controller.ota import UpdateAgent
from webmacs_controller.settings import ControllerSettings
from webmacs_sdk.ota.layout import COMPLETE_MARKER, Layout, read_json, take_json
from webmacs_sdk.ota.supervising import Child, Goal, Supervisor, Timings
from webmacs_sdk.testing.pytest_plugin import BASE_ENV

#: A controller version as far as the supervisor is concerned: a program that runs until stopped.
STAND_IN = "#!{python}\nimport time\ntime.sleep(600)\n"


class Started:
    """Healthy once started (the controller's own health check is tested with real controllers)."""

    goal = Goal("start", "starting", "started")

    def reset(self) -> None:
        pass

    def healthy(self, child: subprocess.Popen[bytes]) -> bool:
        return True


def _install(layout: Layout, version: str) -> None:
    program = layout.version_dir(version) / "bin" / "webmacs-controller"
    program.parent.mkdir(parents=True)
    program.write_text(STAND_IN.format(python=sys.executable))
    program.chmod(0o755)
    (layout.version_dir(version) / COMPLETE_MARKER).write_text(version)


async def test_a_controller_running_a_rolled_back_update_switches_back(make_app, aiohttp_server, tmp_path):
    key, public = make_keys(tmp_path / "keys")
    env = {"WEBMACS_UPDATE_DIR": str(tmp_path / "updates"), "WEBMACS_OTA_TRUSTED_KEYS": public}
    server = await aiohttp_server(make_app(*PLUGINS, env=env))
    admin = {"email": BASE_ENV["WEBMACS_INITIAL_ADMIN_EMAIL"], "password": BASE_ENV["WEBMACS_INITIAL_ADMIN_PASSWORD"]}
    layout = Layout(tmp_path / "edge")
    layout.ensure()
    _install(layout, "2.0.0")
    _install(layout, "2.0.3")
    layout.point(layout.previous, "2.0.0")
    layout.point(layout.current, "2.0.3")  # this controller took update 2.0.3 earlier
    settings = ControllerSettings(server_url="http://127.0.0.1", server_port=server.port, admin_email=admin["email"],
                                  admin_password=admin["password"], ota_root=str(layout.root), ota_trusted_keys=public,
                                  request_timeout=60)
    http = HttpClient(timeout=60)
    api = ApiClient(settings, http)
    await api.login()
    agent = UpdateAgent(settings, api, "edge-1", lambda: 1)
    supervisor = Supervisor(layout, Child("webmacs-controller", name="controller"), Started(),
                            timings=Timings(ready_timeout=30, stop_timeout=10))
    try:
        async with aiohttp.ClientSession(str(server.make_url(""))) as session:
            async with session.post("/api/v1/auth/login", json=admin) as resp:
                headers = {"Authorization": f"Bearer {(await resp.json())['access_token']}"}

            async def fleet() -> dict:
                async with session.get("/api/v1/ota/controllers", headers=headers) as resp:
                    return (await resp.json())[0]

            async def record(status: str) -> dict:
                for _ in range(300):
                    async with session.get("/api/v1/ota?page_size=50", headers=headers) as resp:
                        found = [r for r in (await resp.json())["data"] if r["version"] == "2.0.3"]
                    if found and found[0]["status"] == status:
                        return found[0]
                    await asyncio.sleep(0.1)
                raise AssertionError(f"2.0.3 never became {status}")

            form = aiohttp.FormData()
            bundle = good_bundle(tmp_path / "b", key, version="2.0.3", targets=("controller",),
                                 wheels=[make_wheel(tmp_path / "w", "acme_edge", "1.0.0")])
            form.add_field("file", bundle.read_bytes(), filename=bundle.name, content_type="application/gzip")
            async with session.post("/api/v1/ota/upload", data=form, headers=headers) as resp:
                assert resp.status == 201, await resp.text()
            update = await record("completed")
            await asyncio.to_thread(supervisor.start)  # the controller running 2.0.3

            # While the update stands, the controller running it has nothing to do.
            await agent.check_once()
            assert not agent.switching and not layout.request_file.exists()
            assert (await fleet())["version"] == "2.0.3"

            # An administrator rolls it back: the controller is told and asks its supervisor to switch back.
            async with session.post(f"/api/v1/ota/{update['public_id']}/rollback", headers=headers) as resp:
                assert resp.status == 200, await resp.text()
            await record("rolled_back")
            await agent.check_once()
            assert agent.switching
            request = read_json(layout.request_file)
            assert request is not None
            assert (request["action"], request["version"], request["record"]) == (
                "rollback", "2.0.3", f"{update['public_id']}/rollback")

            # The supervisor switches back (stops 2.0.3, starts 2.0.0); the controller now running reports it.
            await asyncio.to_thread(supervisor.switch_back, take_json(layout.request_file) or {})
            assert layout.running_version() == "2.0.0" and not layout.previous.is_symlink()
            after = UpdateAgent(settings, api, "edge-1", lambda: 1)
            assert after.running == "2.0.0"
            await after._pass_on_outcome()
            await after._send_reports()
            row = await fleet()
            assert (row["version"], row["state"], row["update_version"]) == ("2.0.0", "switched_back", "2.0.3")
            assert row["message"] == "switched back to 2.0.0"
            async with session.get("/api/v1/logging/?page_size=100", headers=headers) as resp:
                contents = [e["content"] for e in (await resp.json())["data"]]
            assert "OTA controller edge-1 switched back from update 2.0.3 to version 2.0.0: switched back to 2.0.0" \
                in contents
            assert ("OTA update 2.0.3: completed → rolled_back: rolled back by an administrator. No longer offered to "
                    "controllers; those running it switch back to their previous version when they next ask for "
                    "updates.") in contents

            # 2.0.3 is neither offered again nor is 2.0.0 told to switch back.
            await after.check_once()
            assert not after.switching and not layout.request_file.exists()
    finally:
        await asyncio.to_thread(supervisor.stop)
        await http.close()
