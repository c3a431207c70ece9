"""CI guard: the controller's run path imports nothing that only the server needs.

Runs in a fresh interpreter, because this test process has long imported the server.
"""

import json
import subprocess
import sys

#: Packages of the server side (and server-only parts of the SDK), and aiohttp, whose client the
#: controller replaced by lighter protocol libraries. The feature plugins' modules are added by the
#: probe itself, from entry-point metadata.
SERVER_ONLY = {
    "webmacs_core",
    "sqlalchemy",
    "alembic",
    "asyncpg",
    "aiosqlite",
    "aiohttp",
    "jinja2",
    "bcrypt",
    "jwt",
    "cryptography",
    "uvloop",
    "webmacs_sdk.db",
    "webmacs_sdk.web",
    "webmacs_sdk.keys",
    "webmacs_sdk.specs",
    "webmacs_sdk.egress",
}

PROBE = """
import importlib, json, pkgutil, sys
import webmacs_controller
# Every module of the controller package: lazily imported ones (transports, check) included.
for info in pkgutil.walk_packages(webmacs_controller.__path__, "webmacs_controller."):
    importlib.import_module(info.name)
from webmacs_controller.drivers import DriverCatalogue
assert DriverCatalogue().get("simulated") is not None
from webmacs_sdk.discovery import find_plugins
features = sorted({entry.value.split(":")[0].split(".")[0] for entry in find_plugins("feature")})
print(json.dumps({"modules": sorted(sys.modules), "features": features}))
"""


def test_controller_run_path_loads_no_server_package() -> None:
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60)
    probe = json.loads(out.stdout.strip().splitlines()[-1])
    assert "webmacs_users" in probe["features"], "feature plugins were not found from metadata"
    forbidden = SERVER_ONLY | set(probe["features"])
    loaded = sorted(
        name for name in probe["modules"] if name in forbidden or name.split(".")[0] in forbidden
    )
    assert loaded == [], f"the controller imports server-only packages: {loaded}"
    assert "webmacs_simulated" in probe["modules"]
