"""Where the browser tests find Chromium and axe-core, and how Chromium is started here."""

import os
from pathlib import Path

CHROMIUM = os.environ.get("WEBMACS_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]
#: axe-core from npm (a dev dependency of the ui plugin's package.json, installed by ./wm).
AXE = Path(__file__).parents[2] / "webmacs_plugins" / "ui" / "node_modules" / "axe-core" / "axe.min.js"
