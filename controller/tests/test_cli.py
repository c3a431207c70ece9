"""``webmacs-controller`` as an operator meets it: help, version, check, and one-line errors."""

import asyncio
import os
import socket
import sys
import time
from collections.abc import AsyncIterator

import pytest
from e2e_support import FakeServer
from local_server import serving

CONTROLLER = [sys.executable, "-m", "webmacs_controller"]


def env(**settings: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("WEBMACS_")}
    return {**clean, **{f"WEBMACS_{k.upper()}": v for k, v in settings.items()}}


async def run(*args: str, **settings: str) -> tuple[int, str, str, float]:
    started = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        *CONTROLLER, *args, env=env(**settings), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    return proc.returncode or 0, out.decode(), err.decode(), time.monotonic() - started


@pytest.fixture
async def server() -> AsyncIterator[FakeServer]:
    fake = FakeServer()
    async with serving(fake.app()) as fake.port:
        yield fake


async def test_help_and_version_answer_at_once_without_a_server() -> None:
    # An unroutable server and a connect timeout longer than run()'s 30 s: a --help that tried to
    # connect would not come back in time.
    code, out, _, _ = await run("--help", server_url="http://192.0.2.1", connect_timeout="120")
    assert code == 0 and out.startswith("usage: webmacs-controller") and "check" in out
    code, out, _, _ = await run("--version")
    assert code == 0 and out.strip() == "webmacs-controller 2.0.0"


async def test_configuration_and_connection_errors_are_one_line() -> None:
    code, _, err, _ = await run(server_url="192.168.1.10")
    assert code == 2
    assert err.strip().splitlines() == [
        "webmacs-controller: invalid configuration: WEBMACS_SERVER_URL must start with http:// or https:// "
        "and name a host (got '192.168.1.10', e.g. http://192.168.1.10)"
    ]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens here once the socket is closed
    code, _, err, took = await run(
        server_url="http://127.0.0.1", server_port=str(port), connect_timeout="1", admin_email="a@b.c"
    )
    assert code == 1 and took < 20  # gave up after its 1 s connect timeout, not run()'s 30 s
    last = err.strip().splitlines()[-1]
    assert last.endswith(f"Server http://127.0.0.1:{port} not reachable after 1 s "
                         f"(Login request failed: cannot connect to 127.0.0.1:{port}: "
                         f"[Errno 111] Connect call failed ('127.0.0.1', {port}))")


async def test_wrong_credentials_and_check(server: FakeServer, tmp_path: object) -> None:
    base = {"server_url": "http://127.0.0.1", "server_port": str(server.port), "admin_email": "admin@webmacs.io"}
    code, _, err, _ = await run(admin_password="wrong", spool_path=f"{tmp_path}/s.db", **base)
    assert code == 1
    assert err.strip().splitlines()[-1].endswith(
        f"http://127.0.0.1:{server.port}/api/v1/auth/login refused the login of 'admin@webmacs.io': "
        "wrong email or password (HTTP 401)"
    )
    code, out, _, _ = await run("check", admin_password="secret", plugin_dir=f"{tmp_path}/plugins", **base)
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0] == f"server      http://127.0.0.1:{server.port}/api/v1"
    assert lines[1] == "login       ok (admin@webmacs.io)"
    assert "instance    'Counter' (counter, enabled): driver missing" in out
    assert "instance    'Off' (counter, disabled)" in out
