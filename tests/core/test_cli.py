"""The command line a newcomer uses: migrate, create-admin, serve's errors."""

import os
import socket
import subprocess
import sys


def run(args, tmp_path, **env):
    full_env = {**os.environ, "WEBMACS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/cli.db",
                "WEBMACS_BCRYPT_ROUNDS": "4", **env}
    return subprocess.run([sys.executable, "-m", "webmacs_core", *args], cwd=tmp_path, env=full_env,
                          capture_output=True, text=True, timeout=60, check=False)


def test_migrate_then_create_admin_then_again(tmp_path):
    migrated = run(["migrate"], tmp_path)
    assert migrated.returncode == 0, migrated.stderr
    assert "up to date" in migrated.stdout
    created = run(["create-admin", "--email", "ops@example.com", "--username", "ops", "--password", "s3cret-pass"],
                  tmp_path)
    assert created.returncode == 0, created.stderr
    assert "admin ops@example.com created" in created.stdout
    again = run(["create-admin", "--email", "ops@example.com", "--username", "ops", "--password", "another-pass"],
                tmp_path)
    assert again.returncode == 0 and "password was reset" in again.stdout
    short = run(["create-admin", "--email", "x@example.com", "--username", "xy", "--password", "short"], tmp_path)
    assert short.returncode == 2 and "at least 8 characters" in short.stderr


def test_create_admin_applies_the_login_email_rule(tmp_path):
    """An admin the login form would refuse is refused here too, in one line (the users API tests show
    that an address it accepts, such as one on .test, can log in)."""
    bad = run(["create-admin", "--email", "notanemail", "--username", "ops", "--password", "s3cret-pass"], tmp_path)
    assert bad.returncode == 2 and "admin" not in bad.stdout
    assert bad.stderr.strip().count("\n") == 0 and "not a valid email address" in bad.stderr
    short = run(["create-admin", "--email", "ok@example.com", "--username", "x", "--password", "s3cret-pass"],
                tmp_path)
    assert short.returncode == 2 and "2 to 50 characters" in short.stderr


def test_serve_on_a_taken_port_is_a_message_not_a_traceback(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run(["serve", "--port", str(port)], tmp_path)
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_setting_is_a_message(tmp_path):
    result = run(["migrate"], tmp_path, WEBMACS_PORT="eighty")
    assert result.returncode == 2 and "WEBMACS_PORT" in result.stderr and "Traceback" not in result.stderr


async def test_loaded_plugins_endpoint_reports_records(make_client, auth_headers):
    client = await make_client("users", "auth", "logs")
    records = await (await client.get("/api/v1/system/plugins", headers=await auth_headers(client))).json()
    by_name = {r["name"]: r for r in records}
    assert by_name["core"]["essential"] and by_name["auth"]["status"] == "loaded"
    assert by_name["logs"]["status"] == "loaded"
