"""``webmacs plugins``: the plugin manager's command lists every plugin and what happened to it."""

import subprocess
import sys


def test_cli_plugins_lists_loaded_and_blocked_plugins():
    env = {"WEBMACS_DISABLE_PLUGINS": "logs", "PATH": ""}
    out = subprocess.run([sys.executable, "-m", "webmacs_core", "plugins"], env=env, capture_output=True,
                         text=True, check=True).stdout
    assert "blocked" in next(line for line in out.splitlines() if line.startswith("logs"))
    auth = next(line for line in out.splitlines() if line.startswith("auth"))
    assert "loaded" in auth and "webmacs-auth" in auth and auth.endswith("(essential)")
    helptext = subprocess.run([sys.executable, "-m", "webmacs_core", "--help"], capture_output=True, text=True,
                              check=True).stdout
    assert "list plugins: loaded, blocked or failed" in helptext

