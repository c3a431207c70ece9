"""Fetch the UI's front-end libraries from npm (versions pinned by package-lock.json) and copy
what the pages load into ``webmacs_ui/static/vendor/``.

Run by the wheel's build hook and by ``./wm`` in a source checkout. Without npm the UI still
works, without charts; this says so instead of failing. Nothing it fetches is committed.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
VENDOR = HERE / "webmacs_ui" / "static" / "vendor"
#: What the pages load: node_modules path -> name under static/vendor.
FILES = {
    "uplot/dist/uPlot.iife.min.js": "uPlot.iife.min.js",
    "uplot/dist/uPlot.min.css": "uPlot.min.css",
}
STAMP = VENDOR / ".lock-sha256"


def _lock_digest() -> str:
    return hashlib.sha256((HERE / "package-lock.json").read_bytes()).hexdigest()


def up_to_date() -> bool:
    copied = all((VENDOR / name).is_file() for name in FILES.values())
    return copied and STAMP.is_file() and STAMP.read_text() == _lock_digest()


def build(*, dev: bool = True, quiet: bool = False) -> bool:
    """Install the pinned packages and copy the assets; False (with a message) when npm is missing.

    ``dev`` also installs the test-only packages (axe-core for the accessibility tests).
    """
    if up_to_date() and (not dev or (HERE / "node_modules" / "axe-core").is_dir()):
        return True
    npm = shutil.which("npm")
    if npm is None:
        print("webmacs-ui: npm not found: the web UI is built without its chart library "
              "(pages work, charts are not shown). Install Node.js with npm and run ./wm again.", file=sys.stderr)
        return False
    command = [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"] + ([] if dev else ["--omit=dev"])
    subprocess.run(command, cwd=HERE, check=True, stdout=subprocess.DEVNULL if quiet else None)
    VENDOR.mkdir(parents=True, exist_ok=True)
    for source, name in FILES.items():
        shutil.copyfile(HERE / "node_modules" / source, VENDOR / name)
    STAMP.write_text(_lock_digest())
    return True


if __name__ == "__main__":
    build(quiet="--quiet" in sys.argv)  # a missing npm is reported, not an error
