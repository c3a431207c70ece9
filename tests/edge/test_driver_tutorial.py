"""docs/driver-tutorial.md, executed as written: its files are written, its shell blocks run in order
against a real server and controller, so the tutorial cannot drift from what works."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path

from edge_support import Api, EdgeStack

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


async def test_the_driver_tutorial_runs_as_written(edge_stack: EdgeStack, tmp_path: Path) -> None:
    api = Api(edge_stack.server.url)
    await api.login()
    token = await api.api_token("tutorial")
    project = tmp_path / "webmacs-tank"
    project.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT")},
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "WEBMACS_SDK": str(ROOT / "sdk"),
        "WEBMACS_URL": edge_stack.server.url,
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
    for _ in range(30):  # the controller reports the status within a second of a change
        if (await api.instance("Tank 1"))["status"] == "connected":
            break
        await asyncio.sleep(0.1)
    assert (await api.instance("Tank 1"))["status"] == "connected"
    assert edge_stack.controller_alive()


def _shell(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=240, check=False)
