"""Helpers of the OTA end-to-end tests (real processes on loopback): builds of the project's wheels
under another version, a server's API as an admin uses it, and processes started with a log file.

Builds are made with ``uv build --offline`` from copies of the source, once per test session
(:class:`WheelBuilds`, served by the ``wheel_builds`` fixture).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import aiohttp

from webmacs_sdk import testing

REPO = Path(__file__).resolve().parents[3]
ADMIN = {"email": "ota-admin@example.com", "password": "ota-admin-password-1"}

#: ``edit(source_directory)`` changes a copy of the source before it is built.
Edit = Callable[[Path], None]


def _write_project(source: Path, pyproject: Path, cut: str, version: str) -> None:
    # The workspace and source tables name sibling packages a lone copy does not have.
    project = pyproject.read_text().split(cut)[0]
    (source / "pyproject.toml").write_text(project.replace('version = "2.0.0"', f'version = "{version}"', 1))


def _copy_server(source: Path, version: str) -> None:
    shutil.copytree(REPO / "webmacs_core", source / "webmacs_core", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "README.md", source / "README.md")
    _write_project(source, REPO / "pyproject.toml", "[tool.uv.workspace]", version)


def _copy_controller(source: Path, version: str) -> None:
    shutil.copytree(REPO / "controller" / "webmacs_controller", source / "webmacs_controller",
                    ignore=shutil.ignore_patterns("__pycache__"))
    _write_project(source, REPO / "controller" / "pyproject.toml", "[tool.uv.sources]", version)


_COPIERS = {"webmacs": _copy_server, "webmacs-controller": _copy_controller}


class WheelBuilds:
    """Wheels of the ``webmacs`` (core) or ``webmacs-controller`` distribution under another version,
    optionally changed by an edit; each distinct build is made once."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self._made: dict[tuple[str, str, str], Path] = {}

    def __call__(self, dist: str, version: str, *, variant: str = "", edit: Edit | None = None) -> Path:
        """The wheel; ``variant`` names the edit (builds are cached by distribution, version and variant)."""
        key = (dist, version, variant)
        if key not in self._made:
            name = f"{dist}-{version}{'-' + variant if variant else ''}"
            source = self.work / "src" / name
            _COPIERS[dist](source, version)
            if edit is not None:
                edit(source)
            out = self.work / "dist" / name
            uv = Path(sys.prefix) / "bin" / "uv"
            subprocess.run([str(uv), "build", "--wheel", "--offline", "--quiet", "--out-dir", str(out), str(source)],
                           check=True, capture_output=True)
            [wheel] = out.glob("*.whl")
            self._made[key] = wheel
        return self._made[key]


def server_env(directory: Path, port: int, trusted_key: str, disabled: str) -> dict[str, str]:
    """Environment of a ``webmacs`` server on 127.0.0.1:``port`` with its files in ``directory``: SQLite,
    the admin of :data:`ADMIN`, ``trusted_key`` for bundles, the ``disabled`` plugins blocked."""
    env = {**os.environ, "WEBMACS_DATABASE_URL": f"sqlite+aiosqlite:///{directory / 'webmacs.db'}",
           "WEBMACS_HOST": "127.0.0.1", "WEBMACS_PORT": str(port), "WEBMACS_SECRET_KEY": "ota-e2e-secret-" + "x" * 40,
           "WEBMACS_INITIAL_ADMIN_EMAIL": ADMIN["email"], "WEBMACS_INITIAL_ADMIN_USERNAME": "otaadmin",
           "WEBMACS_INITIAL_ADMIN_PASSWORD": ADMIN["password"], "WEBMACS_BCRYPT_ROUNDS": "4",
           "WEBMACS_OTA_TRUSTED_KEYS": trusted_key, "WEBMACS_UPDATE_DIR": str(directory / "updates"),
           "WEBMACS_GITHUB_REPO": "", "WEBMACS_PLUGIN_DIR": str(directory / "plugins"),
           "WEBMACS_DISABLE_PLUGINS": disabled}
    env.pop("VIRTUAL_ENV", None)
    return env


def tail(log: Path, size: int = 4000) -> str:
    return log.read_text(errors="replace")[-size:] if log.exists() else f"({log} not written)"


def start_logged(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start ``command`` in its own session (stop it with ``stop_group``), output into ``log``."""
    with log.open("wb") as out:
        return subprocess.Popen(command, cwd=log.parent, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


async def eventually(what: str, check: Callable[[], object], within: float, log: Path | None = None,
                     every: float = 0.3) -> object:
    """Poll ``check`` (sync or async) until it returns something true; fail after ``within`` seconds
    with the tail of ``log``."""
    context = (lambda: tail(log)) if log is not None else None
    return await testing.eventually(check, within, what, every=every, context=context)


class Site:
    """A running server and an admin's API client for it."""

    def __init__(self, port: int, session: aiohttp.ClientSession) -> None:
        self.url, self.session = f"http://127.0.0.1:{port}", session
        self.headers: dict[str, str] = {}

    async def health(self) -> dict | None:
        with contextlib.suppress(aiohttp.ClientError, OSError, asyncio.TimeoutError):
            async with self.session.get(f"{self.url}/health", timeout=aiohttp.ClientTimeout(total=2)) as resp:
                return await resp.json()
        return None

    async def wait_version(self, version: str, within: float, log: Path) -> None:
        async def answers() -> bool:
            body = await self.health()
            return bool(body and body["version"] == version)

        await eventually(f"version {version} answering", answers, within, log, every=0.2)

    async def login(self) -> None:
        async with self.session.post(f"{self.url}/api/v1/auth/login", json=ADMIN) as resp:
            assert resp.status == 200, await resp.text()
            self.headers = {"Authorization": f"Bearer {(await resp.json())['access_token']}"}

    async def call(self, method: str, path: str, **kw) -> tuple[int, dict]:
        async with self.session.request(method, f"{self.url}/api/v1{path}", headers=self.headers, **kw) as resp:
            return resp.status, await resp.json()

    async def upload(self, bundle: Path) -> tuple[int, dict]:
        form = aiohttp.FormData()
        data = await asyncio.to_thread(bundle.read_bytes)
        form.add_field("file", data, filename=bundle.name, content_type="application/gzip")
        return await self.call("POST", "/ota/upload", data=form)

    async def record(self, version: str) -> dict:
        _, listing = await self.call("GET", "/ota?page=1&page_size=50")
        return next(r for r in listing["data"] if r["version"] == version)

    async def wait_record(self, version: str, status: str, within: float) -> dict:
        async def reached() -> dict | None:
            with contextlib.suppress(aiohttp.ClientError, OSError, StopIteration, KeyError):
                record = await self.record(version)
                if record["status"] == status:
                    return record
            return None

        return await eventually(f"record {version} {status}", reached, within)  # type: ignore[return-value]

    async def log_contents(self) -> list[str]:
        """Every log entry's text, newest first (all pages)."""
        contents: list[str] = []
        page = 1
        while True:
            _, logs = await self.call("GET", f"/logging/?page={page}&page_size=100")
            contents += [entry["content"] for entry in logs["data"]]
            if not logs["data"] or len(contents) >= logs["total"]:
                return contents
            page += 1

    async def add_event(self, name: str) -> None:
        body = {"name": name, "min_value": 0, "max_value": 500, "unit": "degC", "type": "sensor"}
        status, answer = await self.call("POST", "/events", json=body)
        assert status == 201, answer

    async def event_names(self) -> list[str]:
        _, page = await self.call("GET", "/events?page=1&page_size=100")
        return sorted(e["name"] for e in page["data"])
