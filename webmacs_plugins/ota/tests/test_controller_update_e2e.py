"""End to end on loopback with real processes: a controller under its supervisor streams simulated
data to a server; a signed controller bundle of a bumped build is uploaded, and the controller takes
it while streaming (downloads it over its own login, checks the signature, installs it beside,
switches). Every datapoint it spooled is stored exactly once across the switch. A second bundle,
whose controller cannot send data, is rolled back by the supervisor alone; the previous version
streams again and sends what the broken one spooled. Rolling the first update back on the server then
switches the controller back to the version it started with.

The builds are of the ``webmacs-controller`` distribution: the current one, a bumped one, and a
bumped one whose telemetry goes to a path the server does not serve (it logs in, reads its sensors
and spools, but no batch is ever acknowledged).
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest
from ota_e2e import ADMIN, Site, WheelBuilds, eventually, server_env, start_logged, tail
from ota_support import free_port, good_bundle, make_keys, stop_group

from webmacs_controller.spool import Spool

#: Seconds a switched-to controller has to get its first batch acknowledged.
HEALTHY_TIMEOUT = 30
UNUSED_PLUGINS = "dashboards,demo,revpi,rules,sso,system,tokens,ui,webhooks"


def _no_telemetry(source: Path) -> None:
    settings = source / "webmacs_controller" / "settings.py"
    text = settings.read_text()
    assert "/ws/controller/telemetry" in text
    settings.write_text(text.replace("/ws/controller/telemetry", "/ws/controller/nowhere"))


@pytest.fixture(scope="module")
def builds(wheel_builds: WheelBuilds) -> dict[str, Path]:
    return {"2.0.0": wheel_builds("webmacs-controller", "2.0.0"),
            "2.0.1": wheel_builds("webmacs-controller", "2.0.1"),
            "2.0.2": wheel_builds("webmacs-controller", "2.0.2", variant="no-telemetry", edit=_no_telemetry)}


def _controller_env(directory: Path, port: int, trusted_key: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WEBMACS_") and k != "VIRTUAL_ENV"}
    return {**env, "WEBMACS_SERVER_URL": "http://127.0.0.1", "WEBMACS_SERVER_PORT": str(port),
            "WEBMACS_ADMIN_EMAIL": ADMIN["email"], "WEBMACS_ADMIN_PASSWORD": ADMIN["password"],
            "WEBMACS_SPOOL_PATH": str(directory / "spool.db"), "WEBMACS_PLUGIN_DIR": str(directory / "plugins"),
            "WEBMACS_POLL_INTERVAL": "0.2", "WEBMACS_CONNECT_TIMEOUT": "120", "WEBMACS_OTA_TRUSTED_KEYS": trusted_key,
            "WEBMACS_OTA_CHECK_INTERVAL": "1", "WEBMACS_OTA_READY_TIMEOUT_SECONDS": str(HEALTHY_TIMEOUT)}


def _stored(database: Path) -> tuple[int, int]:
    """Datapoints the server holds, and how many of them repeat another's event and timestamp."""
    with sqlite3.connect(database) as db:
        total = db.execute("SELECT COUNT(*) FROM datapoints").fetchone()[0]
        repeats = db.execute("SELECT COALESCE(SUM(n - 1), 0) FROM (SELECT COUNT(*) AS n FROM datapoints "
                             "GROUP BY event_id, timestamp HAVING n > 1)").fetchone()[0]
    return int(total), int(repeats)


@pytest.mark.slow
async def test_a_streaming_controller_updates_without_loss_and_a_broken_update_rolls_back(builds, tmp_path):
    key, public = make_keys(tmp_path / "keys")
    server_dir, edge = tmp_path / "server", tmp_path / "edge"
    server_dir.mkdir()
    edge.mkdir()
    port = free_port()
    server_log, controller_log = server_dir / "server.log", edge / "supervisor.log"
    server = start_logged([str(Path(sys.prefix) / "bin" / "webmacs"), "serve"],
                          server_env(server_dir, port, public, UNUSED_PLUGINS), server_log)
    supervisor = None
    root = edge / "install"
    controller_cli = str(Path(sys.prefix) / "bin" / "webmacs-controller")
    init = await asyncio.to_thread(subprocess.run, [controller_cli, "ota-init", str(root), str(builds["2.0.0"]),
                                                    "--version", "2.0.0"], capture_output=True, text=True)
    assert init.returncode == 0, init.stderr
    try:
        async with aiohttp.ClientSession() as session:
            site = Site(port, session)
            await site.wait_version("2.0.0", 90, server_log)
            await site.login()
            supervisor = start_logged([str(root / "current" / "bin" / "webmacs-controller"), "supervise",
                                       "--root", str(root)], _controller_env(edge, port, public), controller_log)

            async def stored_count() -> int:
                _, page = await site.call("GET", "/datapoints?page=1&page_size=1")
                return int(page.get("total", 0))

            async def controller() -> dict | None:
                _, fleet = await site.call("GET", "/ota/controllers")
                return fleet[0] if fleet else None

            async def streams_past(count: int) -> bool:
                return await stored_count() > count + 20

            # Streaming, healthy, and asking for updates.
            await eventually("data from the controller", lambda: streams_past(0), 90, controller_log)
            first = await eventually("the controller asking for updates", controller, 60, controller_log)
            assert first["version"] == "2.0.0"  # type: ignore[index]

            # A bumped controller: uploaded, offered, taken while streaming.
            update = good_bundle(tmp_path / "b1", key, version="2.0.1", min_from="2.0.0", targets=("controller",),
                                 wheels=[builds["2.0.1"]])
            status, body = await site.upload(update)
            assert status == 201, body
            await site.wait_record("2.0.1", "completed", 60)

            async def runs(version: str) -> dict | None:
                row = await controller()
                return row if row and row["version"] == version and row["state"] == "running" else None

            await eventually("the controller running 2.0.1", lambda: runs("2.0.1"), 120, controller_log)
            assert os.readlink(root / "current") == "versions/2.0.1"
            assert os.readlink(root / "previous") == "versions/2.0.0"
            after_switch = await stored_count()
            await eventually("data from 2.0.1", lambda: streams_past(after_switch), 60, controller_log)

            # A controller that cannot send data: rolled back by its supervisor, the old one streams again.
            broken = good_bundle(tmp_path / "b2", key, version="2.0.2", min_from="2.0.0", targets=("controller",),
                                 wheels=[builds["2.0.2"]])
            status, body = await site.upload(broken)
            assert status == 201, body

            async def rolled_back() -> dict | None:
                row = await controller()
                return row if row and row["state"] == "rolled_back" and row["update_version"] == "2.0.2" else None

            verdict = await eventually("the rollback of 2.0.2", rolled_back, 120 + HEALTHY_TIMEOUT, controller_log)
            assert verdict["version"] == "2.0.1"  # type: ignore[index]
            assert os.readlink(root / "current") == "versions/2.0.1"
            after_rollback = await stored_count()
            await eventually("data after the rollback", lambda: streams_past(after_rollback), 60, controller_log)

            # An administrator rolls 2.0.1 back: the controller running it switches back to 2.0.0.
            record = await site.record("2.0.1")
            status, body = await site.call("POST", f"/ota/{record['public_id']}/rollback")
            assert status == 200, body

            async def switched_back() -> dict | None:
                row = await controller()
                return row if row and row["state"] == "switched_back" and row["version"] == "2.0.0" else None

            back = await eventually("the switch back to 2.0.0", switched_back, 60 + HEALTHY_TIMEOUT, controller_log)
            assert back["update_version"] == "2.0.1"  # type: ignore[index]
            assert os.readlink(root / "current") == "versions/2.0.0"
            after_switch_back = await stored_count()
            await eventually("data from 2.0.0 again", lambda: streams_past(after_switch_back), 60, controller_log)
            contents = await site.log_contents()
            controller_id = first["controller_id"]  # type: ignore[index]
            assert any(c.startswith(f"OTA controller {controller_id} runs version 2.0.1 (was 2.0.0): got its first "
                                    "batch acknowledged") for c in contents)
            assert any(c.startswith(f"OTA controller {controller_id} rolled back update 2.0.2; it runs 2.0.1")
                       for c in contents)
            assert any(c.startswith(f"OTA controller {controller_id} switched back from update 2.0.1 to version 2.0.0")
                       for c in contents)
    finally:
        if supervisor is not None:
            stop_group(supervisor)
        stop_group(server)

    # Every datapoint the controller spooled, under three versions (2.0.0 twice), is stored once or still spooled.
    spool = Spool(edge / "spool.db")
    stats = spool.stats()
    spool.close()
    stored, repeats = _stored(server_dir / "webmacs.db")
    figures = (f"spooled {stats.spooled_datapoints}, stored {stored}, still spooled {stats.pending_datapoints}, "
               f"repeated {repeats}, dropped {stats.dropped_datapoints}, rejected {stats.rejected_datapoints}")
    print(figures)
    assert repeats == 0 and stats.dropped_datapoints == stats.rejected_datapoints == 0, figures
    assert stored + stats.pending_datapoints == stats.spooled_datapoints, f"{figures}\n{tail(controller_log)}"
