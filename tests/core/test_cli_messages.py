"""What ``webmacs`` says when it cannot do what was asked: one line naming the problem and what to do,
never a traceback; and "listening" only once the server listens."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from webmacs_core.cli import main
from webmacs_sdk.testing.databases import PG_ADMIN_DSN


def _pg(user: str, database: str = "postgres", port: int = 5432) -> str:
    host = PG_ADMIN_DSN.split("@", 1)[1].split("/", 1)[0].split(":")[0]
    return f"postgresql+asyncpg://{user}:pw@{host}:{port}/{database}"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


CASES = {
    "unreachable database": (["migrate"], {"WEBMACS_DATABASE_URL": _pg("postgres", port=_closed_port())},
                             "cannot reach the database", "start it"),
    "wrong role": (["migrate"], {"WEBMACS_DATABASE_URL": _pg("no_such_role_x")},
                   "refused the login", "fix the user name and password"),
    "malformed URL": (["serve", "--port", "0"], {"WEBMACS_DATABASE_URL": "not a url"},
                      "is not a database URL", "postgresql+asyncpg://"),
    "missing driver": (["migrate"], {"WEBMACS_DATABASE_URL": "postgresql+nosuchdriver://u@h/db"},
                       "no database driver", "postgresql+asyncpg://"),
    "port out of range": (["serve", "--port", "99999"], {}, "port 99999 is out of range", "0 to 65535"),
    "create-admin without a terminal": (["create-admin", "--email", "ops@example.com", "--username", "ops"], {},
                                        "no terminal", "--password"),
    "weak initial admin password": (["serve", "--port", "0"], {"WEBMACS_INITIAL_ADMIN_PASSWORD": "short"},
                                    "WEBMACS_INITIAL_ADMIN_PASSWORD", "at least 8 characters"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_each_failure_is_one_line_saying_what_to_do(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    args, env, what, todo = CASES[name]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WEBMACS_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/cli.db")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    try:
        code = main(args)
    except SystemExit as exc:  # argparse refuses an argument this way
        code = int(exc.code or 0)
    stderr = capsys.readouterr().err
    errors = [line for line in stderr.splitlines() if line.strip()]
    assert code == 2, stderr
    assert "Traceback" not in stderr
    assert what in errors[-1] and todo in errors[-1], errors


def test_an_unknown_plugin_to_disable_is_warned_about(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WEBMACS_DISABLE_PLUGINS", "logs,lgos")
    assert main([]) == 0
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any(w.startswith("WEBMACS_DISABLE_PLUGINS names 'lgos', which is not an installed plugin") for w in warnings)
    assert not any("'logs'" in w for w in warnings)


def test_listening_is_printed_once_the_port_answers(tmp_path: Path) -> None:
    env = {**os.environ, "WEBMACS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/cli.db", "WEBMACS_BCRYPT_ROUNDS": "4"}
    server = subprocess.Popen([sys.executable, "-m", "webmacs_core", "serve", "--port", "0"], cwd=tmp_path, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert server.stdout is not None
        line = next(line for line in server.stdout if "listening on" in line)
        url = line.split("listening on ", 1)[1].split()[0]
        # Port 0 became the real port, and the server answers the moment the line is out.
        assert not url.endswith(":0")
        with urllib.request.urlopen(f"{url}/health", timeout=5) as resp:
            assert resp.status == 200
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_demo_on_a_busy_port_says_the_port_is_busy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code = main(["demo", "--port", str(port)])
    out = capsys.readouterr()
    assert code == 2
    assert f"port {port} on 127.0.0.1 is busy" in out.err and "--port" in out.err
    assert "Starting the WebMACS server" not in out.out
