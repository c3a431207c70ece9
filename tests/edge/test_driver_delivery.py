"""Drivers reach the edge by themselves: a real server and a real controller process on loopback.

A driver wheel uploaded while the controller runs is fetched, checked, installed into the controller's
plugin directory and run without a restart; a new version takes over without a gap in the readings;
disabling an instance stops its readings within two seconds while another instance goes on; a wheel
whose bytes no longer match the recorded SHA-256 is refused with a clear status.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import itertools
import json
import time
import zipfile
from datetime import datetime
from typing import Any

import aiohttp
from edge_support import Api, EdgeStack

from webmacs_sdk.testing import eventually

DRIVER = '''
from webmacs_sdk import hookimpl
from webmacs_sdk.device import ChannelDescriptor, ChannelDirection, DevicePlugin, PluginMeta


class Ticker(DevicePlugin):
    """One input whose value is the driver's major version: which version ran is in the data."""

    meta = PluginMeta(id="{plugin_id}", name="Ticker", version="{version}")

    def get_channels(self):
        return [ChannelDescriptor(id="tick", name="Tick", direction=ChannelDirection.INPUT, unit="n")]

    async def _do_connect(self):
        pass

    async def _do_disconnect(self):
        pass

    async def _do_read(self, channel_id):
        return {value}

    async def _do_write(self, channel_id, value):
        pass


@hookimpl
def webmacs_register_drivers():
    return [Ticker]
'''


def driver_wheel(module: str, version: str) -> tuple[str, bytes]:
    """A valid wheel of a one-channel driver, built the way a wheel builder lays one out."""
    dist_info = f"{module}-{version}.dist-info"
    source = DRIVER.format(plugin_id=module, version=version, value=float(version.split(".", maxsplit=1)[0]))
    members = {
        f"{module}/__init__.py": source.encode(),
        f"{dist_info}/METADATA": f"Metadata-Version: 2.1\nName: {module}\nVersion: {version}\n".encode(),
        f"{dist_info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        f"{dist_info}/entry_points.txt": (
            f"[webmacs.plugins]\n{module} = {module}\n\n[webmacs.drivers]\n{module} = {module}\n"
        ).encode(),
    }
    record = [
        f"{name},sha256={base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode()},{len(data)}"
        for name, data in members.items()
    ]
    members[f"{dist_info}/RECORD"] = ("\n".join([*record, f"{dist_info}/RECORD,,"]) + "\n").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return f"{module}-{version}-py3-none-any.whl", out.getvalue()


async def upload(api: Api, filename: str, data: bytes) -> None:
    form = aiohttp.FormData()
    form.add_field("file", data, filename=filename, content_type="application/octet-stream")
    async with aiohttp.ClientSession() as session, session.post(
        f"{api.base}/api/v1/plugins/packages/upload", data=form, headers={"Authorization": f"Bearer {api.token}"}
    ) as resp:
        assert resp.status == 201, await resp.text()


async def readings(api: Api, event: str, pages: int = 20) -> list[tuple[datetime, float]]:
    """Stored datapoints of one event, oldest first (from the newest ``pages`` pages of 100)."""
    found: list[tuple[datetime, float]] = []
    for page in range(1, pages + 1):
        body = await api.call("GET", f"/datapoints?page={page}&page_size=100")
        found += [(datetime.fromisoformat(d["timestamp"]), d["value"]) for d in body["data"]
                  if d["event_public_id"] == event]
        if page * 100 >= body["total"]:
            break
    return sorted(found)


async def latest(api: Api, event: str) -> dict[str, Any] | None:
    return next((d for d in await api.call("GET", "/datapoints/latest") if d["event_public_id"] == event), None)


async def test_uploaded_driver_runs_switches_versions_stops_when_disabled_and_tampering_is_refused(
    edge_stack: EdgeStack,
) -> None:
    api = Api(edge_stack.server.url)
    await api.login()
    await api.call("POST", "/plugins", {"plugin_id": "simulated", "instance_name": "Other", "demo_mode": True,
                                        "config_json": json.dumps({"poll_interval_ms": 200})}, expect=201)
    other = (await api.instance("Other"))["channel_mappings"][0]["event_public_id"]
    await eventually(lambda: latest(api, other), 20, "readings of the bundled simulated driver")

    # 1. Upload while the controller runs, create an instance: its readings arrive within 10 s.
    await upload(api, *driver_wheel("ticker", "1.0"))
    started = time.monotonic()
    await api.call("POST", "/plugins", {"plugin_id": "ticker", "instance_name": "Ticker", "demo_mode": False,
                                        "config_json": json.dumps({"poll_interval_ms": 100})}, expect=201)
    ticker = await api.instance("Ticker")
    event = ticker["channel_mappings"][0]["event_public_id"]
    first = await eventually(lambda: latest(api, event), 10, "first reading of the uploaded driver")
    assert first["value"] == 1.0
    assert time.monotonic() - started < 10

    async def connected() -> bool:
        return (await api.instance("Ticker"))["status"] == "connected"

    await eventually(connected, 3, "status connected")
    assert edge_stack.controller_alive()
    assert any(p.name.startswith("ticker-1.0-") for p in edge_stack.controller_plugins.iterdir())

    # 2. A new version (the old one removed first, as the upload route requires) takes over
    # between two polls: no gap in the readings.
    package = next(p for p in await api.call("GET", "/plugins/packages") if p["package_name"] == "ticker")
    await api.call("DELETE", f"/plugins/packages/{package['public_id']}")
    await upload(api, *driver_wheel("ticker", "2.0"))

    async def on_v2() -> bool:
        now = await latest(api, event)
        return now is not None and now["value"] == 2.0

    await eventually(on_v2, 10, "readings of version 2")
    await asyncio.sleep(1.0)
    series = await readings(api, event)
    values = [v for _, v in series]
    assert values[0] == 1.0 and values[-1] == 2.0 and values == sorted(values)  # 1.0 … 1.0, 2.0 … 2.0
    gaps = [(b - a).total_seconds() for (a, _), (b, _) in itertools.pairwise(series)]
    assert max(gaps) < 0.35, f"a reading was lost at the switch: gap of {max(gaps):.2f} s"
    assert edge_stack.controller_alive()

    # 3. Disabled: its readings stop within 2 s, the other instance goes on.
    disabled_at = datetime.fromisoformat((await latest(api, event))["timestamp"])
    await api.call("PUT", f"/plugins/{ticker['public_id']}", {"enabled": False})
    other_before = (await latest(api, other))["timestamp"]
    await asyncio.sleep(3.0)
    last = (await readings(api, event, pages=5))[-1][0]
    assert (last - disabled_at).total_seconds() < 2.0
    assert (await latest(api, other))["timestamp"] > other_before

    # Version 1's files went once version 2 took over; with the package removed from the server and
    # no instance using it, version 2 is unloaded and its files go too.
    def ticker_folders() -> list[str]:
        return sorted(p.name for p in edge_stack.controller_plugins.iterdir() if p.name.startswith("ticker-"))

    assert [name[:11] for name in ticker_folders()] == ["ticker-2.0-"]
    package = next(p for p in await api.call("GET", "/plugins/packages") if p["package_name"] == "ticker")
    await api.call("DELETE", f"/plugins/packages/{package['public_id']}")

    async def unloaded() -> bool:
        return ticker_folders() == []

    await eventually(unloaded, 5, "the removed package unloaded")

    # 4. A wheel whose bytes do not match the recorded SHA-256 is refused with a clear status.
    await upload(api, *driver_wheel("gauge", "1.0"))
    wheel = next((edge_stack.server_plugins / "wheels").glob("gauge-*.whl"))
    wheel.write_bytes(wheel.read_bytes() + b"tampered")  # still a readable ZIP, but not what was uploaded
    await api.call("POST", "/plugins", {"plugin_id": "gauge", "instance_name": "Gauge", "demo_mode": False},
                   expect=201)

    async def refused() -> dict[str, Any] | None:
        gauge = await api.instance("Gauge")
        return gauge if gauge["status"] == "error" else None

    gauge = await eventually(refused, 10, "the tampered wheel refused")
    assert "SHA-256 mismatch" in gauge["error_message"]
    assert not any(p.name.startswith("gauge-") for p in edge_stack.controller_plugins.iterdir())
    assert edge_stack.controller_alive()
