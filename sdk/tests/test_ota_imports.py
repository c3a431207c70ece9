"""The OTA modules a controller imports on its run path load no ``cryptography`` (only ``signing`` does,
when a bundle is built or checked). Runs in a fresh interpreter, as this process has imported it long ago."""

import subprocess
import sys

PROBE = """
import sys
import webmacs_sdk.ota, webmacs_sdk.ota.bundle, webmacs_sdk.ota.layout, webmacs_sdk.ota.install
import webmacs_sdk.ota.supervising
assert webmacs_sdk.ota.signatures_available()
print(sorted(name for name in sys.modules if name.split(".")[0] in ("cryptography", "webmacs_ota")))
"""


def test_ota_modules_but_signing_load_no_cryptography() -> None:
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "[]"
