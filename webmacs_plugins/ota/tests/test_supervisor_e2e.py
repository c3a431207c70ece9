"""End to end on loopback with real processes: the supervisor runs the server from an A/B
installation; a signed bundle of a bumped build is uploaded, installed and switched to; a bundle
whose server fails before it is ready is rolled back by itself (database restored, the old version
answering with its data).

The builds are of the ``webmacs`` distribution (the core, which carries the version): the current
one, a bumped one, and a bumped one whose ``serve`` fails at start, made once per test session
(``wheel_builds``). (The time-out path and the manual rollback are
exercised with small stand-in servers in ``test_supervisor.py``.)
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import aiohttp
import pytest
from ota_e2e import Site, WheelBuilds, server_env, start_logged
from ota_support import free_port, good_bundle, make_keys, stop_group

from webmacs_core.cli import main

READY_TIMEOUT = 60
#: Plugins this test does not use are blocked, as an operator may: each server start is then shorter.
UNUSED_PLUGINS = "dashboards,datapoints,demo,experiments,plugins,revpi,rules,simulated,sso,system,tokens,ui,webhooks"
BROKEN = ('import sys as _sys\nif _sys.argv[1:2] == ["serve"]:\n'
          '    raise SystemExit("this build is broken on purpose")\n\n')


def _break_serve(source: Path) -> None:  # fails at once, before the heavy imports
    init = source / "webmacs_core" / "__init__.py"
    init.write_text(BROKEN + init.read_text())


@pytest.fixture(scope="module")
def builds(wheel_builds: WheelBuilds) -> dict[str, Path]:
    return {"2.0.0": wheel_builds("webmacs", "2.0.0"), "2.0.1": wheel_builds("webmacs", "2.0.1"),
            "2.0.2": wheel_builds("webmacs", "2.0.2", variant="broken", edit=_break_serve)}


def _start_supervisor(root: Path, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return start_logged([str(root / "current" / "bin" / "webmacs"), "supervise", "--root", str(root),
                         "--ready-timeout", str(READY_TIMEOUT)], env, log)


@pytest.mark.slow
async def test_signed_update_switches_and_a_failing_one_rolls_back(builds, tmp_path):
    key, public = make_keys(tmp_path / "keys")
    root = tmp_path / "install"
    assert main(["ota", "init", str(root), str(builds["2.0.0"]), "--version", "2.0.0"]) == 0
    port = free_port()
    env = server_env(tmp_path, port, public, UNUSED_PLUGINS)
    log = tmp_path / "supervisor.log"
    supervisor = _start_supervisor(root, env, log)
    try:
        async with aiohttp.ClientSession() as session:
            site = Site(port, session)
            await site.wait_version("2.0.0", 60, log)
            await site.login()
            await site.add_event("Boiler")
            await site.add_event("Chiller")

            # A signed bundle of the bumped build: uploaded, installed beside, switched to, healthy.
            update = good_bundle(tmp_path / "b1", key, version="2.0.1", min_from="2.0.0", wheels=[builds["2.0.1"]])
            status, body = await site.upload(update)
            assert status == 201, body
            await site.wait_version("2.0.1", 90, log)
            assert os.readlink(root / "current") == "versions/2.0.1"
            assert os.readlink(root / "previous") == "versions/2.0.0"
            await site.login()
            assert (await site.record("2.0.1"))["status"] == "completed"
            assert await site.event_names() == ["Boiler", "Chiller"]
            await site.add_event("Pump")  # written by the new version

            # A bundle whose server fails before answering /health/ready: rolled back by the supervisor alone.
            broken = good_bundle(tmp_path / "b2", key, version="2.0.2", min_from="2.0.0", wheels=[builds["2.0.2"]])
            status, body = await site.upload(broken)
            assert status == 201, body
            record = await site.wait_record("2.0.2", "rolled_back", 90 + READY_TIMEOUT)
            assert "exited with status 1 before answering /health/ready" in record["error_message"]
            assert "restored the database backup" in record["error_message"]
            assert (await site.health())["version"] == "2.0.1"
            assert os.readlink(root / "current") == "versions/2.0.1"
            assert await site.event_names() == ["Boiler", "Chiller", "Pump"]  # the data is intact
            contents = await site.log_contents()
            assert any(c.startswith("OTA update 2.0.1 is running") for c in contents)
            assert any(c.startswith("OTA update 2.0.2: completed → rolled_back: version 2.0.2 exited")
                       for c in contents)

    finally:
        stop_group(supervisor)
