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
    "production without a secret key": (["serve", "--port", "0"], {"WEBMACS_ENV": "production"},
                                        "WEBMACS_SECRET_KEY is not set", "at least 32 characters"),
    "production with the sample key": (["serve", "--port", "0"], {
        "WEBMACS_ENV": "production", "WEBMACS_SECRET_KEY": "CHANGE-ME-TO-A-LONG-RANDOM-STRING-OF-48-CHARACTERS"},
        "looks like a placeholder", "at least 32 characters"),
    "production with a repeated character": (["serve", "--port", "0"], {
        "WEBMACS_ENV": "production", "WEBMACS_SECRET_KEY": "x" * 40}, "looks like a placeholder", "token_urlsafe"),
    "production with a short key": (["serve", "--port", "0"], {
        "WEBMACS_ENV": "production", "WEBMACS_SECRET_KEY": "Zk3-q9Tw_fP1mLr8"},
        "has only 16 characters", "at least 32 characters"),
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


PRODUCTION_KEY = "pR0d-" + "Zk3q9TwfP1mLr8vN" * 3


@pytest.mark.parametrize("environment", [{"WEBMACS_ENV": "production", "WEBMACS_SECRET_KEY": PRODUCTION_KEY},
                                         {"WEBMACS_ENV": "production"}])
def test_production_serve_starts_only_with_a_real_secret_key(tmp_path: Path, environment: dict[str, str]) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WEBMACS_")}
    env |= {"WEBMACS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/cli.db", "WEBMACS_BCRYPT_ROUNDS": "4"}
    env |= environment
    starts = "WEBMACS_SECRET_KEY" in environment
    server = subprocess.Popen([sys.executable, "-m", "webmacs_core", "serve", "--port", "0"], cwd=tmp_path, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL if starts else subprocess.PIPE,
                              text=True)
    try:
        if starts:
            assert server.stdout is not None
            assert any("listening on" in line for line in server.stdout)
        else:
            _, stderr = server.communicate(timeout=120)
            assert server.returncode == 2
            assert stderr.strip().splitlines()[-1].startswith("webmacs: WEBMACS_SECRET_KEY is not set"), stderr
            assert "Traceback" not in stderr
            # Refused before anything was made: no database, no generated key file.
            assert not (tmp_path / "cli.db").exists() and not (tmp_path / ".webmacs-secret").exists()
    finally:
        if server.poll() is None:
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
