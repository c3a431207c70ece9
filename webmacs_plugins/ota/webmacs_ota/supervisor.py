"""``webmacs supervise``: runs ``webmacs serve`` from ``<root>/current`` and carries out what the
server asks through ``state/request.json``.

A switch: stop the server, back the database up, point ``current`` at the new version (``previous``
at the old), start it and give it ``ready_timeout`` seconds to answer ``/health/ready``. If it does
not, stop it, restore the backup, point ``current`` back, start the old version and report
``rolled_back`` with the reason. A manual rollback switches back the same way; the backup is
restored only if the new version changed the schema (so data written since the update is kept
whenever the old version can read the database as it is).

A server that exits on its own is started again after a short delay.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

import attrs

from webmacs_ota import dbbackup
from webmacs_ota.layout import Layout, take_json, write_json

log = logging.getLogger("webmacs.supervisor")


@attrs.frozen
class SupervisorSettings:
    """Timings of the supervisor (``WEBMACS_OTA_*``)."""

    #: How long a newly switched-to version has to answer ``/health/ready``.
    ota_ready_timeout_seconds: float = 60.0
    #: How long a stopping server may take before it is killed.
    ota_stop_timeout_seconds: float = 30.0
    #: How often the request file is looked at.
    ota_poll_seconds: float = 0.5
    #: Wait before a server that exited on its own is started again.
    ota_restart_delay_seconds: float = 2.0

    def with_ready_timeout(self, seconds: float) -> SupervisorSettings:
        return attrs.evolve(self, ota_ready_timeout_seconds=seconds)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Supervisor:
    """One supervised server of one A/B installation."""

    def __init__(self, root: Path, core_settings: Any, options: SupervisorSettings) -> None:
        self.layout = Layout(root)
        self.database_url: str = core_settings.database_url
        host = core_settings.host if core_settings.host not in ("", "0.0.0.0", "::") else "127.0.0.1"
        self.ready_url = f"http://{host}:{core_settings.port}/health/ready"
        self.options = options
        self.child: subprocess.Popen[bytes] | None = None
        self.stopping = False

    # ---- the server process ---------------------------------------------------------------

    def start(self) -> None:
        env = {**os.environ, "WEBMACS_OTA_ROOT": str(self.layout.root)}
        command = [str(self.layout.current / "bin" / "webmacs"), "serve"]
        log.info("starting %s (version %s)", " ".join(command), self.layout.link_target(self.layout.current))
        self.child = subprocess.Popen(command, env=env)

    def stop(self) -> None:
        child, self.child = self.child, None
        if child is None or child.poll() is not None:
            return
        child.terminate()
        try:
            child.wait(self.options.ota_stop_timeout_seconds)
        except subprocess.TimeoutExpired:
            log.warning("server did not stop within %.0f s; killing it", self.options.ota_stop_timeout_seconds)
            child.kill()
            child.wait()

    def wait_ready(self, timeout: float) -> str | None:
        """None once ``/health/ready`` answers 200, else why not (exited, or timed out)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.stopping:
                return "was not ready when the supervisor was asked to stop"
            if self.child is None or self.child.poll() is not None:
                code = self.child.returncode if self.child else None
                return f"exited with status {code} before answering /health/ready"
            try:
                with urllib.request.urlopen(self.ready_url, timeout=2) as response:  # noqa: S310 (fixed local URL)
                    if response.status == 200:
                        return None
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.25)
        return f"did not answer /health/ready within {timeout:.0f} s"

    # ---- requests from the server ---------------------------------------------------------

    def switch(self, request: dict[str, Any]) -> None:
        layout = self.layout
        version, record = str(request.get("version")), str(request.get("record"))
        old, before_old = layout.link_target(layout.current), layout.link_target(layout.previous)
        outcome = {"record": record, "version": version, "from_version": old}
        if old is None or not layout.is_complete(version):
            write_json(layout.outcome_file, {**outcome, "result": "rolled_back",
                                             "reason": f"version {version} is not installed completely"})
            return
        self.stop()
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        try:
            backup = dbbackup.backup(self.database_url, layout.backups / f"{old}-to-{version}-{stamp}")
        except dbbackup.BackupFailed as exc:
            write_json(layout.outcome_file, {**outcome, "result": "rolled_back",
                                             "reason": f"database backup failed, not switched: {exc}"})
            self.start()
            return
        switch = {"from": old, "to": version, "backup": str(backup),
                  "revisions": dbbackup.revisions(self.database_url), "at": _now()}
        layout.point(layout.previous, old)
        layout.point(layout.current, version)
        started = time.monotonic()
        self.start()
        problem = self.wait_ready(self.options.ota_ready_timeout_seconds)
        if problem is None:
            log.info("version %s is ready", version)
            # Kept for a manual rollback: which backup belongs to this switch, and the schema before it.
            write_json(layout.state / "last_switch.json", switch)
            write_json(layout.outcome_file, {**outcome, "result": "running", "at": _now(),
                                             "reason": f"answered /health/ready {time.monotonic() - started:.1f} s "
                                                       "after the switch"})
            return
        log.error("version %s %s; switching back to %s", version, problem, old)
        self.stop()
        restored = "restored the database backup"
        try:
            dbbackup.restore(self.database_url, backup)
        except dbbackup.BackupFailed as exc:
            restored = f"could NOT restore the database backup {backup}: {exc}"
            log.error("%s", restored)
        layout.point(layout.current, old)
        layout.point(layout.previous, before_old)
        write_json(layout.outcome_file, {**outcome, "result": "rolled_back", "at": _now(),
                                         "reason": f"version {version} {problem}; switched back to {old} and "
                                                   f"{restored}"})
        if self.stopping:  # asked to stop while the new version was starting: leave the old one in place
            return
        self.start()
        if (again := self.wait_ready(self.options.ota_ready_timeout_seconds)) is not None:
            log.error("the previous version %s %s too", old, again)

    def switch_back(self, request: dict[str, Any]) -> None:
        layout = self.layout
        version, record = str(request.get("version")), str(request.get("record"))
        current, previous = layout.link_target(layout.current), layout.link_target(layout.previous)
        outcome = {"record": record, "version": version, "from_version": current}
        if current != version or previous is None:
            reason = f"{version} is not running with an earlier version to go back to"
            write_json(layout.outcome_file, {**outcome, "result": "not_switched", "reason": reason})
            return
        self.stop()
        last = take_json(layout.state / "last_switch.json") or {}
        note = "kept the database as it is (same schema)"
        if last.get("to") == version and last.get("revisions") != dbbackup.revisions(self.database_url):
            try:
                dbbackup.restore(self.database_url, Path(str(last["backup"])))
                note = "restored the database backup taken before the update (the schema had changed)"
            except dbbackup.BackupFailed as exc:
                note = f"could NOT restore the database backup: {exc}"
        layout.point(layout.current, previous)
        layout.point(layout.previous, None)
        write_json(layout.outcome_file, {**outcome, "result": "switched_back", "at": _now(),
                                         "reason": f"switched back to {previous}; {note}"})
        self.start()
        if (problem := self.wait_ready(self.options.ota_ready_timeout_seconds)) is not None:
            log.error("version %s %s after the manual rollback", previous, problem)

    # ---- main loop ------------------------------------------------------------------------

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True

    def run(self) -> int:
        layout = self.layout
        layout.ensure()
        if layout.link_target(layout.current) is None:
            log.error("%s has no current version; create it with 'webmacs ota init'", layout.root)
            return 1
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        self.start()
        try:
            while not self.stopping:
                request = take_json(layout.request_file)
                if request is not None:
                    action = request.get("action")
                    if action == "switch":
                        self.switch(request)
                    elif action == "rollback":
                        self.switch_back(request)
                    else:
                        log.warning("ignoring unknown request %r", action)
                elif self.child is None or self.child.poll() is not None:
                    log.warning("server exited (status %s); starting it again",
                                self.child.returncode if self.child else None)
                    time.sleep(self.options.ota_restart_delay_seconds)
                    if not self.stopping:
                        self.start()
                time.sleep(self.options.ota_poll_seconds)
        finally:
            self.stop()
        return 0
