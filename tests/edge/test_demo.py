"""``webmacs demo`` in an empty directory: live simulated data over the API, printed credentials that
work, and a Ctrl-C that stops everything (exit 0, no process left behind)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from edge_support import free_port

SIMULATED_INPUTS = {
    "temp_reactor", "temp_inlet", "temp_outlet", "pressure_chamber",
    "pressure_diff", "volume_flow", "humidity",
}


def get(url: str, token: str) -> Any:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=5) as resp:
        return json.loads(resp.read())


def post(url: str, body: dict[str, Any]) -> tuple[int, Any]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, None


def descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (from /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def webmacs_command() -> list[str]:
    script = Path(sys.executable).parent / "webmacs"
    return [str(script)] if script.exists() else [sys.executable, "-m", "webmacs_core"]


def test_demo_streams_simulated_data_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WEBMACS_")}
    out_path = tmp_path / "demo.out"
    with out_path.open("wb") as out:
        demo = subprocess.Popen(
            [*webmacs_command(), "demo", "--port", str(port)],
            cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    children: set[int] = set()
    left: list[int] = []
    try:
        deadline = time.monotonic() + 60
        banner = ""
        while "Ctrl-C to stop" not in banner:
            assert demo.poll() is None, out_path.read_text()
            assert time.monotonic() < deadline, "no banner:\n" + out_path.read_text()
            time.sleep(0.2)
            banner = out_path.read_text()
        token = re.search(r"Bearer (wm_[\w-]+)", banner)
        password = re.search(r"Password:\s+(\S+)", banner)
        email = re.search(r"Admin:\s+(\S+)", banner)
        assert token and password and email, banner
        assert f"curl -s -H 'Authorization: Bearer {token[1]}' {base}/api/v1/datapoints/latest" in banner
        assert f"URL:       {base}" in banner
        # The printed (generated) admin password logs in.
        status, _ = post(f"{base}/api/v1/auth/login", {"email": email[1], "password": password[1]})
        assert status == 200

        instances = get(f"{base}/api/v1/plugins", token[1])["data"]
        simulated = [r for r in instances if r["plugin_id"] == "simulated"]
        assert len(simulated) == 1
        events = {
            m["event_public_id"]: m["channel_id"]
            for m in simulated[0]["channel_mappings"]
            if m["channel_id"] in SIMULATED_INPUTS
        }
        assert set(events.values()) == SIMULATED_INPUTS
        seen: set[str] = set()
        while seen != SIMULATED_INPUTS:
            assert time.monotonic() < deadline, f"only {sorted(seen)} have values"
            children |= descendants(demo.pid)
            latest = get(f"{base}/api/v1/datapoints/latest", token[1])
            seen = {events[dp["event_public_id"]] for dp in latest if dp["event_public_id"] in events}
            time.sleep(0.3)
        children |= descendants(demo.pid)
        assert len(children) >= 2, "server and controller run as child processes"
        # The controller reports the simulated instance to the server.
        status_deadline = time.monotonic() + 10
        while get(f"{base}/api/v1/plugins", token[1])["data"][0]["status"] != "demo":
            assert time.monotonic() < status_deadline, "instance status never became 'demo'"
            time.sleep(0.2)

        demo.send_signal(signal.SIGINT)
        assert demo.wait(30) == 0, out_path.read_text()
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
        left = [pid for pid in children if alive(pid)]
        for pid in left:
            os.kill(pid, signal.SIGKILL)
    assert left == [], f"processes left behind: {left}"
    assert "Demo stopped." in out_path.read_text()

    # A second demo in the same directory signs in with the password the first one printed.
    again_path = tmp_path / "demo-again.out"
    with again_path.open("wb") as out:
        again = subprocess.Popen(
            [*webmacs_command(), "demo", "--port", str(free_port())],
            cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while "Ctrl-C to stop" not in again_path.read_text():
            assert again.poll() is None, again_path.read_text()
            assert time.monotonic() < deadline, "no banner:\n" + again_path.read_text()
            time.sleep(0.2)
        assert re.search(r"Password:\s+(\S+)", again_path.read_text())[1] == password[1]
        again.send_signal(signal.SIGINT)
        assert again.wait(30) == 0, again_path.read_text()
    finally:
        if again.poll() is None:
            again.kill()
            again.wait()
