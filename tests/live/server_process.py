"""``webmacs serve`` as a real process on a free port, for tests that need real sockets and signals."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path

import pytest

ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "live-admin-password-1"


def require_postgresql(config: pytest.Config) -> None:
    """Live servers run on PostgreSQL; ``--webmacs-db=sqlite`` leaves them out."""
    if "postgresql" not in str(config.getoption("--webmacs-db")):
        pytest.skip("live-server tests run on PostgreSQL (--webmacs-db leaves it out)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """One server process; ``start()`` returns once ``/health`` answers."""

    def __init__(self, workdir: Path, database_url: str, env: Mapping[str, str] | None = None) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "WEBMACS_DATABASE_URL": database_url,
            "WEBMACS_PLUGIN_DIR": str(workdir / "plugins"),
            "WEBMACS_INITIAL_ADMIN_EMAIL": ADMIN_EMAIL,
            "WEBMACS_INITIAL_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "WEBMACS_SECRET_KEY": "live-test-secret-key-0123456789abcdef",
            **(env or {}),
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.log = workdir / f"server-{self.port}.log"

    def start(self, within: float = 60.0) -> ServerProcess:
        self.workdir.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "webmacs_core", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                cwd=self.workdir, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=2) as resp:
                    if resp.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        self.kill()
        raise RuntimeError(f"server did not answer within {within} s:\n{self.tail()}")

    def terminate(self, within: float = 30.0) -> float:
        """SIGTERM, then wait for the exit; returns the seconds it took."""
        assert self.process is not None
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=within)
        except subprocess.TimeoutExpired:
            self.kill()
        return time.monotonic() - started

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""
