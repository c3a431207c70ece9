"""Code of an uploaded wheel never runs in the server: the upload validates statically, and what
the catalogue needs of the driver comes from a separate, time- and memory-limited process."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from .conftest import DRIVER_SOURCE
from .test_packages import PLUGINS, upload


def _with_prelude(module: str, prelude: str) -> dict[str, bytes]:
    source = prelude + DRIVER_SOURCE.replace("{plugin_id}", module).replace("{version}", "1.0")
    return {f"{module}/__init__.py": source.encode()}


async def _client(make_client: Any, auth_headers: Any, plugin_dir: Path, seconds: float) -> Any:
    client = await make_client(
        *PLUGINS,
        env={
            "WEBMACS_PLUGIN_DIR": str(plugin_dir),
            "WEBMACS_DRIVER_PROBE_SECONDS": str(seconds),
            "WEBMACS_DRIVER_PROBE_MEMORY_MB": "512",
        },
    )
    client.admin = await auth_headers(client, "admin")
    return client


@pytest.fixture
async def probing(make_client: Any, auth_headers: Any, tmp_path: Path) -> Any:
    return await _client(make_client, auth_headers, tmp_path / "plugins", 20)


@pytest.fixture
async def impatient(make_client: Any, auth_headers: Any, tmp_path: Path, request: pytest.FixtureRequest) -> Any:
    if request.node.callspec.params.get("webmacs_database") == "postgresql":
        pytest.skip("killing a runaway driver process involves no database; once, on SQLite, is enough")
    return await _client(make_client, auth_headers, tmp_path / "plugins", 4)


async def test_upload_runs_no_code_of_the_wheel_and_the_catalogue_describes_it_elsewhere(
    probing: Any, wheel_spec: Any, tmp_path: Path
) -> None:
    """Also: a driver that refuses its configuration in the sandbox is a 422 on ``config_json``."""
    marker = tmp_path / "imported"
    module = "acme_marker"
    spec = wheel_spec(module=module, files=_with_prelude(module, f"open({str(marker)!r}, 'w').write('x')\n"))
    resp = await upload(probing, spec.build(), spec.filename, headers=probing.admin)
    assert resp.status == 201, await resp.text()
    assert not marker.exists()
    assert module not in sys.modules

    catalogue = await (await probing.get("/api/v1/plugins/available", headers=probing.admin)).json()
    probe = next(p for p in catalogue if p["id"] == module)
    assert probe["name"] == "Acme Probe"
    assert [c["id"] for c in probe["channels"]] == ["level", "pump"]
    assert probe["config_schema"]["type"] == "object"
    # The description ran the module, in another process: the server still never imported it.
    assert marker.exists()
    assert module not in sys.modules

    resp = await probing.post(
        "/api/v1/plugins", json={"plugin_id": module, "instance_name": "Tank"}, headers=probing.admin
    )
    assert resp.status == 201, await resp.text()
    assert module not in sys.modules
    events = (await (await probing.get("/api/v1/events", headers=probing.admin)).json())["data"]
    assert {(e["name"], e["unit"]) for e in events} == {("Tank \u2013 Level", "mm"), ("Tank \u2013 Pump", "%")}

    # A driver that refuses a configuration in its sandbox: the contract's 422 on config_json.
    module = "acme_picky"
    source = DRIVER_SOURCE.replace("{plugin_id}", module).replace("{version}", "1.0").replace(
        "    def get_channels(self):",
        "    def get_channels(self):\n"
        "        from webmacs_sdk.device import PluginConfigError\n"
        "        if not self.is_demo_mode:\n"
        "            raise PluginConfigError(self.plugin_id, 'this probe needs demo_mode')\n"
        "        return self._channels_of_probe()\n\n"
        "    def _channels_of_probe(self):",
    )
    spec = wheel_spec(module=module, files={f"{module}/__init__.py": source.encode()})
    assert (await upload(probing, spec.build(), spec.filename, headers=probing.admin)).status == 201
    resp = await probing.post(
        "/api/v1/plugins",
        json={"plugin_id": module, "instance_name": "Picky", "demo_mode": False},
        headers=probing.admin,
    )
    assert resp.status == 422, await resp.text()
    detail = (await resp.json())["detail"][0]
    assert detail["loc"] == ["body", "config_json"] and "needs demo_mode" in detail["msg"]


async def test_a_driver_that_hangs_or_hogs_memory_is_stopped_and_answered_with_a_4xx(
    impatient: Any, wheel_spec: Any
) -> None:
    probing = impatient
    hang = wheel_spec(module="acme_hang", files=_with_prelude("acme_hang", "while True:\n    pass\n"))
    hog = wheel_spec(module="acme_hog", files=_with_prelude("acme_hog", "hog = bytearray(2 * 1024 ** 3)\n"))
    for spec in (hang, hog):
        resp = await upload(probing, spec.build(), spec.filename, headers=probing.admin)
        assert resp.status == 201, await resp.text()

    resp = await probing.get("/api/v1/plugins/available", headers=probing.admin)
    assert resp.status == 200
    ids = [p["id"] for p in await resp.json()]
    assert "simulated" in ids
    assert "acme_hang" not in ids and "acme_hog" not in ids

    resp = await probing.post(
        "/api/v1/plugins", json={"plugin_id": "acme_hang", "instance_name": "Stuck"}, headers=probing.admin
    )
    assert resp.status == 422
    assert "unknown plugin 'acme_hang'" in (await resp.json())["detail"][0]["msg"]
