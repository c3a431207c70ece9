"""``webmacs demo``: the server and a controller with the simulated device, as two child processes.

The server runs with the settings as loaded (by default the SQLite file in this directory). Once
``/health`` answers, the demo logs in as the first admin, makes sure a ``simulated`` instance exists,
creates an API token for the controller and starts it, so live data flows within seconds. Ctrl-C
(SIGINT) or SIGTERM stops the controller first (its spool drains into the running server), revokes the
token, then stops the server. The children run in their own process group, so a terminal's Ctrl-C
reaches only the demo, which stops them in that order.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType
from typing import IO, Any

from webmacs_demo.setup import DemoSetupError, ServerApi
from webmacs_sdk.serving import port_number

DEFAULT_ADMIN_EMAIL = "admin@webmacs.io"
SERVER_LOG = "webmacs-demo-server.log"
CONTROLLER_LOG = "webmacs-demo-controller.log"
SPOOL_FILE = "webmacs-demo-spool.db"
CREDENTIALS_FILE = "webmacs-demo-admin.txt"
STARTUP_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0


def add_command(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "demo", help="run the server and a controller with the simulated device (Ctrl-C stops both)"
    )
    parser.add_argument("--host", help="address the server listens on (WEBMACS_HOST, default 127.0.0.1)")
    parser.add_argument("--port", type=port_number, help="port the server listens on (WEBMACS_PORT, default 8000)")
    parser.set_defaults(func=run_demo)


class _Stop:
    """Set by SIGINT/SIGTERM; the main loop polls it."""

    def __init__(self) -> None:
        self.requested = False

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        self.requested = True


class _Child:
    """One child process with its output in a log file."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log_path: Path) -> None:
        self.name = name
        self.log_path = log_path
        self._log: IO[bytes] = log_path.open("ab")
        self.proc = subprocess.Popen(
            argv, env=env, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            process_group=0,
        )

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> int:
        """SIGTERM, then SIGKILL after :data:`STOP_TIMEOUT`; returns the exit code."""
        if self.alive():
            self.proc.terminate()
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                print(f"webmacs demo: the {self.name} did not stop in time; killing it", file=sys.stderr)
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        return int(self.proc.returncode)

    def tail(self, lines: int = 20) -> str:
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])


def _child_env(settings: Any, overrides: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    env.update(overrides)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def _port_problem(host: str, port: int) -> str | None:
    """Why the server could not listen on ``host:port``, checked before anything starts."""
    if not 0 < port <= 65535:
        return f"port {port} is out of range (1 to 65535); choose another with --port or WEBMACS_PORT"
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            return (
                f"port {port} on {host} is busy (another program listens there); stop it or choose "
                "another port with --port or WEBMACS_PORT"
            )
        return f"cannot listen on {host}:{port}: {exc.strerror or exc}"
    return None


def _remembered_password(workdir: Path, email: str) -> str:
    """The demo admin's password, made on the first run and kept beside the database for the next ones.

    The server seeds the admin only into an empty database, so a second demo in the same directory
    must log in with the password of the first; the file is readable by its owner only.
    """
    path = workdir / CREDENTIALS_FILE
    with contextlib.suppress(OSError, ValueError):
        stored_email, stored_password = path.read_text().split()
        if stored_email == email:
            return stored_password
    password = secrets.token_urlsafe(12)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(f"{email}\n{password}\n")
    return password


def run_demo(args: argparse.Namespace, settings: Any, pm: Any) -> int:
    host = str(args.host or settings.host)
    port = int(args.port or settings.port)
    client_host = "127.0.0.1" if host in {"0.0.0.0", "::", ""} else host
    url = f"http://{client_host}:{port}"
    busy = _port_problem(host, port)
    if busy:
        print(f"webmacs demo: {busy}", file=sys.stderr)
        return 2
    email = os.environ.get("WEBMACS_INITIAL_ADMIN_EMAIL") or DEFAULT_ADMIN_EMAIL
    workdir = Path.cwd()
    password = os.environ.get("WEBMACS_INITIAL_ADMIN_PASSWORD") or _remembered_password(workdir, email)

    stop = _Stop()
    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    server: _Child | None = None
    controller: _Child | None = None
    api = ServerApi(url)
    token_id = ""
    code = 0
    try:
        print(f"Starting the WebMACS server on {url} (database {settings.database_url}) ...", flush=True)
        server = _Child(
            "server",
            [sys.executable, "-m", "webmacs_core", "serve", "--host", host, "--port", str(port)],
            _child_env(settings, {
                "WEBMACS_INITIAL_ADMIN_EMAIL": email,
                "WEBMACS_INITIAL_ADMIN_PASSWORD": password,
            }),
            workdir / SERVER_LOG,
        )
        if not api.wait_healthy(STARTUP_TIMEOUT, lambda: server is not None and server.alive()
                                and not stop.requested):
            if stop.requested:
                return 0
            print(f"webmacs demo: the server did not start; last lines of {SERVER_LOG}:\n{server.tail()}",
                  file=sys.stderr)
            return 1
        api.login(email, password)
        api.ensure_simulated_instance()
        token_id, token = api.create_token(f"webmacs demo controller {time.strftime('%Y-%m-%d %H:%M:%S')}")
        controller = _Child(
            "controller",
            [sys.executable, "-m", "webmacs_controller"],
            _child_env(settings, {
                "WEBMACS_SERVER_URL": f"http://{client_host}",
                "WEBMACS_SERVER_PORT": str(port),
                "WEBMACS_API_TOKEN": token,
                "WEBMACS_AUTO_SEED": "false",
                "WEBMACS_SPOOL_PATH": str(workdir / SPOOL_FILE),
            }),
            workdir / CONTROLLER_LOG,
        )
        _banner(url, email, password, token)
        while not stop.requested:
            for child in (server, controller):
                if not child.alive():
                    print(f"webmacs demo: the {child.name} exited ({child.proc.returncode}); last lines of "
                          f"{child.log_path.name}:\n{child.tail()}", file=sys.stderr)
                    code = 1
                    stop.requested = True
            time.sleep(0.2)
        print("\nStopping the demo ...", flush=True)
    except DemoSetupError as exc:
        print(f"webmacs demo: {exc}", file=sys.stderr)
        code = 1
    finally:
        # Ignore further Ctrl-C while stopping: a half-stopped demo would leave a child behind.
        for sig in previous:
            signal.signal(sig, signal.SIG_IGN)
        if controller is not None:
            controller.stop()
        if token_id and server is not None and server.alive():
            with contextlib.suppress(OSError):
                api.delete_token(token_id)
        if server is not None:
            server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if code == 0:
        print("Demo stopped.", flush=True)
    return code


def _banner(url: str, email: str, password: str, token: str) -> None:
    print(
        "\n"
        "  WebMACS demo is running: simulated sensors stream into the server.\n"
        f"    URL:       {url}   (API under {url}/api/v1)\n"
        f"    Admin:     {email}\n"
        f"    Password:  {password}\n"
        "\n"
        "  Latest value of every channel:\n"
        f"    curl -s -H 'Authorization: Bearer {token}' {url}/api/v1/datapoints/latest\n"
        "\n"
        f"  Logs: {SERVER_LOG}, {CONTROLLER_LOG}.  Press Ctrl-C to stop.\n",
        flush=True,
    )
