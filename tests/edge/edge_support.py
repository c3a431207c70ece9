"""Helpers of the edge tests: the real server as a child process (killable, restartable on the same
database and port), a test distribution that registers the counter driver, and a cutting TCP proxy."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import aiohttp

HERE = Path(__file__).parent

ADMIN_EMAIL = "edge-admin@example.com"
ADMIN_PASSWORD = "edge-admin-password-1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def counter_distribution(root: Path) -> Path:
    """A directory that, on PYTHONPATH, makes ``edge_counter`` an installed ``webmacs.plugins`` plugin."""
    info = root / "webmacs_edge_counter-1.0.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: webmacs-edge-counter\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[webmacs.plugins]\nedgecounter = edge_counter\n")
    return root


class ServerProcess:
    """``python -m webmacs_core serve`` on a fixed port and database; can be SIGKILLed and restarted."""

    def __init__(self, workdir: Path, database_url: str, port: int, extra_env: dict[str, str]) -> None:
        self.workdir = workdir
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.env = {
            **os.environ,
            "WEBMACS_DATABASE_URL": database_url,
            "WEBMACS_HOST": "127.0.0.1",
            "WEBMACS_PORT": str(port),
            "WEBMACS_SECRET_KEY": "edge-test-secret-key-0123456789abcdef",
            "WEBMACS_INITIAL_ADMIN_EMAIL": ADMIN_EMAIL,
            "WEBMACS_INITIAL_ADMIN_PASSWORD": ADMIN_PASSWORD,
            **extra_env,
        }
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.kills = 0

    def start(self) -> None:
        log = (self.workdir / f"server-{self.starts}.log").open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "webmacs_core", "serve"],
            cwd=self.workdir,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self.starts += 1

    async def wait_healthy(self, within: float = 30.0) -> None:
        deadline = time.monotonic() + within
        async with aiohttp.ClientSession() as session:
            while True:
                assert self.proc is not None and self.proc.poll() is None, self.tail()
                with contextlib.suppress(aiohttp.ClientError, OSError):
                    async with session.get(f"{self.url}/health") as resp:
                        if resp.status == 200:
                            return
                assert time.monotonic() < deadline, "server did not become healthy\n" + self.tail()
                await asyncio.sleep(0.05)

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.kills += 1

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def tail(self) -> str:
        logs = sorted(self.workdir.glob("server-*.log"))
        return logs[-1].read_text(errors="replace")[-3000:] if logs else ""


class CuttingProxy:
    """Loopback TCP proxy; :meth:`cut` aborts every open connection in both directions."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self.cuts = 0
        self._writers: set[asyncio.StreamWriter] = set()
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def cut(self) -> None:
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()
        self.cuts += 1

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.transport.abort()
            return
        pair = {writer, up_writer}
        self._writers |= pair

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, asyncio.IncompleteReadError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._writers -= pair


class Api:
    """Minimal admin REST client for setting up the server."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.token = ""

    async def call(self, method: str, path: str, body: Any = None, expect: int = 200) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        async with aiohttp.ClientSession() as session, session.request(
            method, f"{self.base}/api/v1{path}", json=body, headers=headers
        ) as resp:
            data = await resp.json(content_type=None)
            assert resp.status == expect, (method, path, resp.status, data)
            return data

    async def login(self, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD) -> None:
        data = await self.call("POST", "/auth/login", {"email": email, "password": password})
        self.token = data["access_token"]

    async def api_token(self, name: str) -> str:
        data = await self.call("POST", "/tokens", {"name": name}, expect=201)
        return str(data["token"])

    async def instance(self, name: str) -> dict[str, Any]:
        page = await self.call("GET", "/plugins?page_size=100")
        return next(r for r in page["data"] if r["instance_name"] == name)


class EdgeStack:
    """A server on SQLite with a plugin directory, and a ``webmacs-controller`` process against it,
    started once and shared by the tests that deliver drivers to the edge."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.server_plugins = root / "server-plugins"
        self.controller_plugins = root / "controller-plugins"
        self.server = ServerProcess(
            root, f"sqlite+aiosqlite:///{root / 'edge.db'}", free_port(),
            {"WEBMACS_PLUGIN_DIR": str(self.server_plugins)},
        )
        self.log = root / "controller.log"
        self.controller: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.server.start()
        deadline = time.monotonic() + 30
        while True:
            assert self.server.proc is not None and self.server.proc.poll() is None, self.server.tail()
            with contextlib.suppress(OSError), urllib.request.urlopen(f"{self.server.url}/health", timeout=2) as resp:
                if resp.status == 200:
                    break
            assert time.monotonic() < deadline, "server did not become healthy\n" + self.server.tail()
            time.sleep(0.05)
        env = {
            **os.environ,
            "WEBMACS_SERVER_URL": "http://127.0.0.1",
            "WEBMACS_SERVER_PORT": str(self.server.port),
            "WEBMACS_ADMIN_EMAIL": ADMIN_EMAIL,
            "WEBMACS_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "WEBMACS_POLL_INTERVAL": "0.2",
            # The periodic sync is far off: changes must arrive through the change feed.
            "WEBMACS_PLUGIN_SYNC_INTERVAL": "600",
            "WEBMACS_AUTO_SEED": "false",
            "WEBMACS_SPOOL_PATH": str(self.root / "spool.db"),
            "WEBMACS_PLUGIN_DIR": str(self.controller_plugins),
        }
        with self.log.open("wb") as out:
            self.controller = subprocess.Popen([sys.executable, "-m", "webmacs_controller"], env=env,
                                               stdout=out, stderr=subprocess.STDOUT)

    def controller_alive(self) -> bool:
        return self.controller is not None and self.controller.poll() is None

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.terminate()
            self.controller.wait(20)
        self.server.stop()
