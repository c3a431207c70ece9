"""docs/driver-tutorial.md, executed as written: its files are written, its shell blocks run in order
against a real server and controller, so the tutorial cannot drift from what works."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path

from edge_support import ADMIN_EMAIL, ADMIN_PASSWORD, Api, ServerProcess, free_port

ROOT = Path(__file__).resolve().parents[2]
TUTORIAL = ROOT / "docs" / "driver-tutorial.md"
BLOCK = re.compile(r'^```(\w+)(?: title="([^"]+)")?\n(.*?)^```$', re.M | re.S)


def blocks() -> list[tuple[str, str | None, str]]:
    return [(lang, title, body) for lang, title, body in BLOCK.findall(TUTORIAL.read_text())]


def test_the_tutorial_has_files_and_commands() -> None:
    found = blocks()
    assert {title for _, title, _ in found if title} >= {"pyproject.toml", "webmacs_tank/__init__.py",
                                                         "tests/test_tank.py"}
    assert sum(lang == "sh" for lang, _, _ in found) >= 4


async def test_the_driver_tutorial_runs_as_written(tmp_path: Path) -> None:
    server = ServerProcess(
        tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'tutorial.db'}", free_port(),
        {"WEBMACS_PLUGIN_DIR": str(tmp_path / "server-plugins")},
    )
    server.start()
    controller: subprocess.Popen[bytes] | None = None
    log = tmp_path / "controller.log"
    try:
        await server.wait_healthy()
        api = Api(server.url)
        await api.login()
        token = await api.api_token("tutorial")
        controller = _start_controller(server.port, tmp_path, log)
        project = tmp_path / "webmacs-tank"
        project.mkdir()
        env = {
            **{k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT")},
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "WEBMACS_SDK": str(ROOT / "sdk"),
            "WEBMACS_URL": server.url,
            "WEBMACS_TOKEN": token,
        }
        for lang, title, body in blocks():
            if title:
                target = project / title
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(body)
            elif lang == "sh":
                done = await asyncio.to_thread(_shell, body, project, env)
                assert done.returncode == 0, f"{body}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
        assert (await api.instance("Tank 1"))["status"] == "connected"
        assert controller.poll() is None
    finally:
        if controller is not None:
            controller.terminate()
            controller.wait(20)
        server.stop()


def _shell(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=240, check=False)


def _start_controller(port: int, tmp_path: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "WEBMACS_SERVER_URL": "http://127.0.0.1",
        "WEBMACS_SERVER_PORT": str(port),
        "WEBMACS_ADMIN_EMAIL": ADMIN_EMAIL,
        "WEBMACS_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "WEBMACS_AUTO_SEED": "false",
        "WEBMACS_SPOOL_PATH": str(tmp_path / "spool.db"),
        "WEBMACS_PLUGIN_DIR": str(tmp_path / "controller-plugins"),
    }
    with log.open("wb") as out:
        return subprocess.Popen([sys.executable, "-m", "webmacs_controller"], env=env, stdout=out,
                                stderr=subprocess.STDOUT)
