"""``webmacs-controller supervise`` and ``webmacs-controller ota-init``: the controller in an A/B
installation, under the SDK's supervisor.

The supervisor runs ``<root>/current/bin/webmacs-controller`` and switches versions when the
controller asks (``state/request.json``). A controller switched to is healthy once the server has
acknowledged its first batch: it writes ``state/healthy.json`` with its pid (see ``otahealth``). If
that does not happen within ``WEBMACS_OTA_READY_TIMEOUT_SECONDS``, the supervisor stops it, points
``current`` back, starts the old version and reports ``rolled_back``. There is no database to back
up: the spool and the plugin directory live outside the installation (checked here at start), so
they survive every switch, and the old controller is stopped with SIGTERM (it keeps whatever the
server has not acknowledged in its spool) before the new one starts.

Imported only by these two commands: the controller's run path stays as light as it was.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from webmacs_sdk.ota.layout import Layout
from webmacs_sdk.ota.supervising import Child, Goal, Supervisor, Timings

from .settings import ControllerSettings

PROGRAM = "webmacs-controller"
INIT_HINT = "webmacs-controller ota-init ROOT"


class FirstAckCheck:
    """Healthy: the running child wrote ``state/healthy.json`` with its own pid."""

    goal = Goal("get its first batch acknowledged", "getting its first batch acknowledged",
                "got its first batch acknowledged")

    def __init__(self, layout: Layout) -> None:
        self.file = layout.healthy_file

    def reset(self) -> None:
        self.file.unlink(missing_ok=True)

    def healthy(self, child: subprocess.Popen[bytes]) -> bool:
        try:
            data = json.loads(self.file.read_text())
        except (OSError, ValueError):
            return False
        return isinstance(data, dict) and data.get("pid") == child.pid


def _fail(message: str, code: int = 2) -> int:
    print(f"webmacs-controller: {message}", file=sys.stderr)
    return code


def _inside_versions(layout: Layout, settings: ControllerSettings) -> str | None:
    """Why the spool or plugin directory would be lost with a version, or None when both are outside."""
    versions = layout.versions.resolve()
    for variable, value in (("WEBMACS_SPOOL_PATH", settings.spool_path), ("WEBMACS_PLUGIN_DIR", settings.plugin_dir)):
        path = Path(value).resolve()
        if path.is_relative_to(versions):
            return (f"{variable} ({path}) is inside the installation's versions; it would not survive an update. "
                    "Set it to a path outside, e.g. /var/lib/webmacs-controller/")
    return None


def supervise(settings: ControllerSettings, root: Path | None, ready_timeout: float | None) -> int:
    """Run the supervisor until SIGTERM/SIGINT; returns the exit code."""
    chosen = root or (Path(settings.ota_root) if settings.ota_root else None)
    if chosen is None:
        return _fail("no installation root: pass --root or set WEBMACS_OTA_ROOT")
    layout = Layout(chosen.absolute())
    if (problem := _inside_versions(layout, settings)) is not None:
        return _fail(problem)
    if layout.running_version() is None:
        return _fail(f"{layout.root} has no current version; create it with '{INIT_HINT}'", 1)
    timings = Timings(ready_timeout=ready_timeout or settings.ota_ready_timeout_seconds)
    child = Child(PROGRAM, name="controller", init_hint=INIT_HINT)
    return Supervisor(layout, child, FirstAckCheck(layout), timings=timings).run()


def init(root: Path, wheels: Sequence[Path], version: str) -> int:
    """Create the A/B installation at ``root`` from this environment plus ``wheels``, as ``version``."""
    from webmacs_sdk.ota.bundle import parse_version
    from webmacs_sdk.ota.install import InstallFailed, build_environment

    try:
        parse_version(version)
    except ValueError as exc:
        return _fail(f"{exc}; pass --version X.Y.Z", 1)
    layout = Layout(root.absolute())
    if (running := layout.running_version()) is not None:
        return _fail(f"{layout.root} already has a current version ({running})", 1)
    with tempfile.TemporaryDirectory(prefix="webmacs-ota-init-") as scratch:
        copies = []
        for wheel in wheels:
            if not wheel.is_file():
                return _fail(f"{wheel} is not a file", 1)
            copies.append(Path(shutil.copy2(wheel, scratch)))
        try:
            target = build_environment(layout, version, copies)
        except InstallFailed as exc:
            return _fail(str(exc), 1)
    layout.point(layout.current, version)
    print(f"{layout.current} -> {target}\nstart it with: {layout.current}/bin/{PROGRAM} supervise --root {layout.root}")
    return 0
