"""``webmacs-controller supervise`` with real processes on loopback: the supervisor runs real
controllers (the counter driver) from an A/B installation against a loopback server; a version whose
first batch is acknowledged stays, one that cannot reach the server is rolled back by itself.

Each version in ``versions/<X.Y.Z>/bin/webmacs-controller`` is a small launcher of this checkout's
controller (the supervisor only cares about that path); the broken one is pointed at a port where
nobody listens, as a build with a wrong server address or a broken transport would be.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from e2e_support import FakeServer
from local_server import serving

from webmacs_controller.controller import START_MESSAGE, STOP_MESSAGE
from webmacs_sdk.ota.layout import COMPLETE_MARKER, Layout, request_switch

TESTS = Path(__file__).resolve().parent
READY_TIMEOUT = 25

#: A controller version: the real controller with the counter driver; ``broken`` replaces the
#: server's port by one nobody listens on; with ``gate`` it starts only once that file exists.
LAUNCHER = """#!{python}
import asyncio, os, signal, sys, time
sys.path.insert(0, {tests!r})
while {gate!r} and not os.path.exists({gate!r}):
    time.sleep(0.1)
if {broken!r}:
    os.environ["WEBMACS_SERVER_PORT"] = {dead_port!r}
from e2e_support import CounterDevice
from webmacs_controller.controller import Controller
from webmacs_controller.settings import ControllerSettings

async def main() -> int:
    controller = Controller(ControllerSettings.load(), drivers={{"counter": CounterDevice}})
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, controller.stop)
    return await controller.run()

sys.exit(asyncio.run(main()))
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _version(layout: Layout, version: str, *, broken: bool = False, gate: Path | None = None) -> None:
    bin_dir = layout.version_dir(version) / "bin"
    bin_dir.mkdir(parents=True)
    script = bin_dir / "webmacs-controller"
    script.write_text(LAUNCHER.format(python=sys.executable, tests=str(TESTS), broken=broken,
                                      gate=str(gate) if gate else "", dead_port=str(_free_port())))
    script.chmod(0o755)
    (layout.version_dir(version) / COMPLETE_MARKER).write_text(version)


def _env(port: int, tmp: Path, **extra: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("WEBMACS_")}
    settings = {"SERVER_URL": "http://127.0.0.1", "SERVER_PORT": str(port), "ADMIN_EMAIL": "admin@webmacs.io",
                "ADMIN_PASSWORD": "secret", "SPOOL_PATH": str(tmp / "data" / "spool.db"),
                "PLUGIN_DIR": str(tmp / "data" / "plugins"), "AUTO_SEED": "false", "POLL_INTERVAL": "0.2",
                "REQUEST_TIMEOUT": "5", **extra}
    return {**clean, **{f"WEBMACS_{k}": v for k, v in settings.items()}}


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the supervisor alone (it stops its controller); everything it started is killed after 60 s."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(60)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


async def _wait(predicate: Callable[[], Any], within: float, what: str, log: Path) -> Any:
    deadline = asyncio.get_running_loop().time() + within
    while asyncio.get_running_loop().time() < deadline:
        if (value := predicate()) is not None:
            return value
        await asyncio.sleep(0.1)
    raise AssertionError(f"{what}\n{_tail(log)}")


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-4000:]


def _outcome(layout: Layout) -> dict[str, Any] | None:
    try:
        data = json.loads(layout.outcome_file.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    layout.outcome_file.unlink()
    return dict(data)


def _healthy(layout: Layout) -> dict[str, Any] | None:
    try:
        return dict(json.loads(layout.healthy_file.read_text()))
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def _lifecycle(server: FakeServer) -> list[str]:
    names = {START_MESSAGE: "start", STOP_MESSAGE: "stop"}
    return [names[message] for message in server.logs if message in names]


def _start_supervisor(layout: Layout, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """``webmacs-controller supervise`` in its own session, its output (and its children's) in ``log``."""
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "webmacs_controller", "supervise", "--root", str(layout.root),
             "--ready-timeout", str(READY_TIMEOUT)],
            cwd=log.parent, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


@pytest.fixture
async def server() -> AsyncIterator[FakeServer]:
    fake = FakeServer()
    async with serving(fake.app()) as fake.port:
        yield fake


async def test_healthy_version_stays_and_one_that_cannot_reach_the_server_rolls_back(
    server: FakeServer, tmp_path: Path
) -> None:
    layout = Layout(tmp_path / "install")
    layout.ensure()
    _version(layout, "1.0.0")
    _version(layout, "1.0.1")
    _version(layout, "1.0.2", broken=True)
    layout.point(layout.current, "1.0.0")
    log = tmp_path / "supervisor.log"
    supervisor = _start_supervisor(layout, _env(server.port, tmp_path), log)
    try:
        # The first version runs (a plain start waits for no health, but the controller reports it anyway).
        first = await _wait(lambda: _healthy(layout), 60, "1.0.0 never reported healthy", log)
        assert not layout.outcome_file.exists()

        # A switch: the old controller stops first, the new one's first batch is acknowledged.
        request_switch(layout, "1.0.1", "u-101")
        outcome = await _wait(lambda: _outcome(layout), 60 + READY_TIMEOUT, "no outcome of the switch to 1.0.1", log)
        assert (outcome["result"], outcome["record"], outcome["version"], outcome["from_version"]) == (
            "running", "u-101", "1.0.1", "1.0.0")
        assert outcome["reason"].startswith("got its first batch acknowledged ")
        assert outcome["reason"].endswith(" s after the switch")
        second = _healthy(layout)
        assert second is not None and second["pid"] != first["pid"]
        assert os.readlink(layout.current) == "versions/1.0.1"
        assert os.readlink(layout.previous) == "versions/1.0.0"
        assert json.loads(layout.last_switch_file.read_text())["to"] == "1.0.1"
        assert _lifecycle(server) == ["start", "stop", "start"]  # 1.0.0 had stopped before 1.0.1 started

        # A version that never reaches the server: stopped after the ready timeout, 1.0.1 back by itself.
        request_switch(layout, "1.0.2", "u-102")
        outcome = await _wait(lambda: _outcome(layout), 60 + 2 * READY_TIMEOUT, "no outcome of the switch to 1.0.2",
                              log)
        assert outcome["result"] == "rolled_back"
        assert outcome["reason"] == (f"version 1.0.2 did not get its first batch acknowledged within {READY_TIMEOUT} s;"
                                     " switched back to 1.0.1")
        assert os.readlink(layout.current) == "versions/1.0.1"
        assert os.readlink(layout.previous) == "versions/1.0.0"
        back = await _wait(lambda: h if (h := _healthy(layout)) and h["pid"] != second["pid"] else None, 60,
                           "1.0.1 did not come back healthy", log)
        assert back["pid"] != second["pid"]
        assert _lifecycle(server)[:5] == ["start", "stop", "start", "stop", "start"]

        # A version whose environment lacks the program: reported and rolled back, the supervisor lives on.
        (layout.version_dir("1.0.3") / "bin").mkdir(parents=True)
        (layout.version_dir("1.0.3") / COMPLETE_MARKER).write_text("1.0.3")
        request_switch(layout, "1.0.3", "u-103")
        outcome = await _wait(lambda: _outcome(layout), 60 + READY_TIMEOUT, "no outcome of the switch to 1.0.3", log)
        assert outcome["result"] == "rolled_back"
        assert outcome["reason"] == ("version 1.0.3 could not be started (No such file or directory); "
                                     "switched back to 1.0.1")
        await _wait(lambda: h if (h := _healthy(layout)) and h["pid"] != back["pid"] else None, 60,
                    "1.0.1 did not come back after 1.0.3", log)
        assert os.readlink(layout.current) == "versions/1.0.1"

        # One spool through every version: one controller id, nothing stored twice.
        assert len(server.controller_ids) == 1
        assert server.duplicates == 0
    finally:
        await asyncio.to_thread(_stop, supervisor)  # the loopback server keeps answering meanwhile
    assert supervisor.returncode == 0
    assert _lifecycle(server)[-1] == "stop"  # the supervisor's SIGTERM stopped the controller gracefully


async def test_refuses_a_spool_inside_the_installation_and_a_missing_root(tmp_path: Path) -> None:
    layout = Layout(tmp_path / "install")
    layout.ensure()
    _version(layout, "1.0.0")
    layout.point(layout.current, "1.0.0")
    inside = str(layout.current / "spool.db")
    cases = [
        (["--root", str(layout.root)], {"SPOOL_PATH": inside}, 2, "WEBMACS_SPOOL_PATH"),
        ([], {}, 2, "no installation root: pass --root or set WEBMACS_OTA_ROOT"),
        (["--root", str(tmp_path / "empty")], {}, 1, "has no current version; create it with"),
    ]
    for args, extra, code, message in cases:
        env = _env(_free_port(), tmp_path, **extra)
        done = await asyncio.to_thread(
            subprocess.run, [sys.executable, "-m", "webmacs_controller", "supervise", *args], env=env, cwd=tmp_path,
            capture_output=True, text=True, timeout=60)
        assert done.returncode == code, done.stderr
        assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_ota_init_makes_the_first_version_from_this_environment(tmp_path: Path) -> None:
    layout = Layout(tmp_path / "install")
    init = [sys.executable, "-m", "webmacs_controller", "ota-init", str(layout.root)]
    done = subprocess.run([*init, "--version", "2.0.0"], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert layout.running_version() == "2.0.0" and layout.is_complete("2.0.0")
    installed = subprocess.run([str(layout.current / "bin" / "webmacs-controller"), "--version"],
                               capture_output=True, text=True, timeout=60, check=True)
    assert installed.stdout.strip() == "webmacs-controller 2.0.0"
    for args, message in (([], "already has a current version (2.0.0)"), (["--version", "2.0"], "not a version X.Y.Z")):
        again = subprocess.run([*init, *args], capture_output=True, text=True, timeout=60, check=False)
        assert again.returncode == 1 and message in again.stderr, again.stderr


def _power_loss(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL to the supervisor and its controller at once, as a power loss (or systemd stopping the unit's
    processes after the supervisor died) would end them."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


async def test_a_switch_pending_when_the_supervisor_dies_is_checked_again_at_its_next_start(
    server: FakeServer, tmp_path: Path
) -> None:
    layout = Layout(tmp_path / "install")
    layout.ensure()
    gate = tmp_path / "gate"
    _version(layout, "1.0.0")
    _version(layout, "1.0.1", broken=True)
    _version(layout, "1.0.2", gate=gate)  # healthy, but only once the test opens the gate
    layout.point(layout.current, "1.0.0")
    log, env = tmp_path / "supervisor.log", _env(server.port, tmp_path)

    def checking(version: str) -> dict[str, Any] | None:
        pending = _pending(layout)
        return pending if pending and pending["version"] == version and layout.running_version() == version else None

    supervisor = _start_supervisor(layout, env, log)
    try:
        await _wait(lambda: _healthy(layout), 60, "1.0.0 never reported healthy", log)

        # The broken version is being checked when supervisor and controller die: no verdict yet.
        request_switch(layout, "1.0.1", "u-101")
        pending = await _wait(lambda: checking("1.0.1"), 60, "the switch to 1.0.1 never started", log)
        assert (pending["from_version"], pending["previous"], pending["record"]) == ("1.0.0", None, "u-101")
        await asyncio.to_thread(_power_loss, supervisor)
        assert not layout.outcome_file.exists()

        # Started again, the supervisor checks 1.0.1 once more and rolls it back by itself.
        supervisor = _start_supervisor(layout, env, log)
        outcome = await _wait(lambda: _outcome(layout), 60 + READY_TIMEOUT, "no outcome after the restart", log)
        assert (outcome["result"], outcome["record"], outcome["version"], outcome["from_version"]) == (
            "rolled_back", "u-101", "1.0.1", "1.0.0")
        assert outcome["reason"] == (f"version 1.0.1 did not get its first batch acknowledged within {READY_TIMEOUT} s"
                                     " (checked again after the supervisor restarted); switched back to 1.0.0")
        assert os.readlink(layout.current) == "versions/1.0.0"
        assert not layout.previous.is_symlink()
        assert not layout.pending_file.exists()
        await _wait(lambda: _healthy(layout), 60, "1.0.0 did not come back healthy", log)

        # A good version pending when they die: checked again at the next start, and kept.
        request_switch(layout, "1.0.2", "u-102")
        await _wait(lambda: checking("1.0.2"), 60, "the switch to 1.0.2 never started", log)
        await asyncio.to_thread(_power_loss, supervisor)
        gate.touch()
        supervisor = _start_supervisor(layout, env, log)
        outcome = await _wait(lambda: _outcome(layout), 60 + READY_TIMEOUT, "no outcome after the restart", log)
        assert (outcome["result"], outcome["version"], outcome["from_version"]) == ("running", "1.0.2", "1.0.0")
        assert outcome["reason"].startswith("got its first batch acknowledged ")
        assert outcome["reason"].endswith(" s after the supervisor restarted")
        assert os.readlink(layout.current) == "versions/1.0.2"
        assert os.readlink(layout.previous) == "versions/1.0.0"
        assert json.loads(layout.last_switch_file.read_text())["to"] == "1.0.2"
        assert not layout.pending_file.exists()
    finally:
        await asyncio.to_thread(_stop, supervisor)
    assert supervisor.returncode == 0


def _pending(layout: Layout) -> dict[str, Any] | None:
    """``state/pending.json`` once the supervisor is waiting for the new version's health."""
    try:
        return dict(json.loads(layout.pending_file.read_text()))
    except (FileNotFoundError, json.JSONDecodeError):
        return None
