"""Browser tests: Debian's Chromium driven by Playwright against a real server process.

One server per database and one browser per module keep the module's cost to one start each.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.server
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "edge"))
sys.path.insert(0, str(Path(__file__).parent))

from browser_support import CHROMIUM, CHROMIUM_FLAGS
from edge_support import ServerProcess, free_port


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not installed at {CHROMIUM} (.ci/run installs Debian's chromium)")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=10_000)  # a busy machine: auto-waiting assertions get as long as page actions

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        yield chromium
        chromium.close()


class Receiver:
    """A webhook receiver on loopback that answers 200 and remembers what it got."""

    def __init__(self) -> None:
        received = self.received = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                received.append(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.close()


class Site:
    """The server under test, restartable on its database and port, and a controller beside it."""

    def __init__(self, server: ServerProcess, workdir: Path) -> None:
        self.server = server
        self.url = server.url
        self.workdir = workdir
        self.controller: subprocess.Popen[bytes] | None = None

    def start_controller(self, token: str) -> None:
        log = (self.workdir / "controller.log").open("ab")
        self.controller = subprocess.Popen(
            [sys.executable, "-m", "webmacs_controller"],
            env={**os.environ, "WEBMACS_SERVER_URL": "http://127.0.0.1", "WEBMACS_SERVER_PORT": str(self.server.port),
                 "WEBMACS_API_TOKEN": token, "WEBMACS_AUTO_SEED": "false", "WEBMACS_POLL_INTERVAL": "0.5",
                 "WEBMACS_SPOOL_PATH": str(self.workdir / "spool.db")},
            stdout=log, stderr=subprocess.STDOUT, cwd=self.workdir,
        )
        log.close()

    def stop_controller(self) -> None:
        if self.controller is not None and self.controller.poll() is None:
            self.controller.kill()
            self.controller.wait()

    def restart_server(self) -> None:
        self.server.start()
        wait_healthy(self.server)


def wait_healthy(server: ServerProcess) -> None:
    # In a thread of its own: Playwright's sync API keeps an event loop running in this one.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, server.wait_healthy()).result()


def _database_url(kind: str, tmp: Path) -> tuple[str, Any]:
    if kind == "sqlite":
        return f"sqlite+aiosqlite:///{tmp / 'ui.db'}", None
    from webmacs_sdk.testing.databases import PostgresTestDatabase

    database = PostgresTestDatabase()
    try:
        database.create()
    except OSError as exc:
        pytest.skip(f"PostgreSQL not available: {exc}")
    return database.url, database


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
         receiver: Receiver) -> Iterator[Site]:
    wanted = [k.strip() for k in request.config.getoption("--webmacs-db").split(",")]
    if request.param not in wanted:
        pytest.skip(f"{request.param} not selected with --webmacs-db")
    workdir = tmp_path_factory.mktemp(f"ui-{request.param}")
    url, database = _database_url(request.param, workdir)
    server = ServerProcess(workdir, url, free_port(), {
        "WEBMACS_EGRESS_ALLOW": "127.0.0.1/32", "WEBMACS_BCRYPT_ROUNDS": "4",
        "WEBMACS_PLUGIN_DIR": str(workdir / "plugins"),
    })
    server.start()
    found = Site(server, workdir)
    try:
        wait_healthy(server)
        yield found
    finally:
        found.stop_controller()
        server.stop()
        if database is not None:
            with contextlib.suppress(Exception):
                database.drop()
        shutil.rmtree(workdir, ignore_errors=True)
