"""``webmacs supervise``: the SDK's A/B supervisor running ``webmacs serve`` from ``<root>/current``.

The server's parts of it: a new version is healthy once it answers ``/health/ready`` with 200
within ``ready_timeout`` seconds, and the database is backed up before a switch and restored when
the new version fails. A manual rollback restores the backup only if the new version changed the
schema (so data written since the update is kept whenever the old version can read the database
as it is).
"""

from __future__ import annotations

import logging
import subprocess
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs

from webmacs_ota import dbbackup
from webmacs_sdk.ota.layout import Layout
from webmacs_sdk.ota.supervising import Child, Goal, SwitchRefused, Timings
from webmacs_sdk.ota.supervising import Supervisor as GenericSupervisor

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

    def timings(self) -> Timings:
        return Timings(ready_timeout=self.ota_ready_timeout_seconds, stop_timeout=self.ota_stop_timeout_seconds,
                       poll=self.ota_poll_seconds, restart_delay=self.ota_restart_delay_seconds)


class ReadyCheck:
    """Healthy: ``GET /health/ready`` of the server's own address answers 200."""

    goal = Goal("answer /health/ready", "answering /health/ready", "answered /health/ready")

    def __init__(self, url: str) -> None:
        self.url = url

    def reset(self) -> None:
        pass

    def healthy(self, child: subprocess.Popen[bytes]) -> bool:
        try:
            with urllib.request.urlopen(self.url, timeout=2) as response:  # noqa: S310 (fixed local URL)
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False


class DatabaseGuard:
    """Back the database up before a switch; restore it after a failed one, and after a manual
    rollback when the schema changed."""

    def __init__(self, database_url: str, backups: Path) -> None:
        self.database_url = database_url
        self.backups = backups

    def before_switch(self, old: str, new: str) -> dict[str, Any]:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        try:
            backup = dbbackup.backup(self.database_url, self.backups / f"{old}-to-{new}-{stamp}")
        except dbbackup.BackupFailed as exc:
            raise SwitchRefused(f"database backup failed, not switched: {exc}") from None
        return {"backup": str(backup), "revisions": dbbackup.revisions(self.database_url)}

    def after_failed_switch(self, kept: dict[str, Any]) -> str:
        backup = Path(str(kept["backup"]))
        try:
            dbbackup.restore(self.database_url, backup)
        except dbbackup.BackupFailed as exc:
            note = f"could NOT restore the database backup {backup}: {exc}"
            log.error("%s", note)
            return note
        return "restored the database backup"

    def after_switch_back(self, version: str, last_switch: dict[str, Any]) -> str:
        if last_switch.get("to") != version or last_switch.get("revisions") == dbbackup.revisions(self.database_url):
            return "kept the database as it is (same schema)"
        try:
            dbbackup.restore(self.database_url, Path(str(last_switch["backup"])))
        except dbbackup.BackupFailed as exc:
            return f"could NOT restore the database backup: {exc}"
        return "restored the database backup taken before the update (the schema had changed)"


class Supervisor(GenericSupervisor):
    """One supervised server of one A/B installation."""

    def __init__(self, root: Path, core_settings: Any, options: SupervisorSettings) -> None:
        layout = Layout(root)
        host = core_settings.host if core_settings.host not in ("", "0.0.0.0", "::") else "127.0.0.1"
        super().__init__(layout, Child("webmacs", ("serve",), name="server", init_hint="webmacs ota init"),
                         ReadyCheck(f"http://{host}:{core_settings.port}/health/ready"),
                         guard=DatabaseGuard(core_settings.database_url, layout.backups), timings=options.timings())
