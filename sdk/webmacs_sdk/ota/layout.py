"""The A/B installation on disk, shared by the process that installs (the server, or a controller)
and the supervisor that switches.

```
<root>/versions/<X.Y.Z>/   one virtual environment per version (``.complete`` once installed)
<root>/current  -> versions/<running version>
<root>/previous -> versions/<version before it>
<root>/state/request.json      the supervised process asks the supervisor to switch or roll back
<root>/state/outcome.json      the supervisor reports what happened
<root>/state/last_switch.json  the last successful switch (for a manual rollback)
<root>/state/pending.json      a switch whose new version has not proven healthy yet (crash-safe switch)
<root>/state/healthy.json      a supervised controller: its first batch after start was acknowledged
<root>/state/backups/          database backups taken before a switch (server)
```

The processes talk only through these files, each written whole and renamed into place.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any

import attrs

COMPLETE_MARKER = ".complete"


@attrs.frozen
class Layout:
    """Paths of one A/B installation rooted at ``root``."""

    root: Path

    @property
    def versions(self) -> Path:
        return self.root / "versions"

    @property
    def current(self) -> Path:
        return self.root / "current"

    @property
    def previous(self) -> Path:
        return self.root / "previous"

    @property
    def state(self) -> Path:
        return self.root / "state"

    @property
    def request_file(self) -> Path:
        return self.state / "request.json"

    @property
    def outcome_file(self) -> Path:
        return self.state / "outcome.json"

    @property
    def last_switch_file(self) -> Path:
        return self.state / "last_switch.json"

    @property
    def pending_file(self) -> Path:
        return self.state / "pending.json"

    @property
    def healthy_file(self) -> Path:
        return self.state / "healthy.json"

    @property
    def backups(self) -> Path:
        return self.state / "backups"

    def version_dir(self, version: str) -> Path:
        return self.versions / version

    def ensure(self) -> None:
        for path in (self.versions, self.state, self.backups):
            path.mkdir(parents=True, exist_ok=True)

    def is_complete(self, version: str) -> bool:
        return (self.version_dir(version) / COMPLETE_MARKER).exists()

    def link_target(self, link: Path) -> str | None:
        """The version a ``current``/``previous`` link points at, or None."""
        try:
            return Path(os.readlink(link)).name
        except OSError:
            return None

    def running_version(self) -> str | None:
        """The version ``current`` points at, or None before the installation has one."""
        return self.link_target(self.current)

    def point(self, link: Path, version: str | None) -> None:
        """Atomically (re)point ``link`` at ``versions/<version>``, or remove it for None."""
        if version is None:
            link.unlink(missing_ok=True)
            return
        temporary = link.with_name(f".{link.name}-{uuid.uuid4().hex}")
        temporary.symlink_to(Path("versions") / version)
        os.replace(temporary, link)


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` whole: to a temporary file first, then renamed over ``path``."""
    temporary = path.with_name(f".{path.name}-{uuid.uuid4().hex}")
    temporary.write_text(json.dumps(data, indent=2) + "\n")
    os.replace(temporary, path)


def read_json(path: Path) -> dict[str, Any] | None:
    """Read ``path`` (and leave it); None when there is none or it is not a JSON object."""
    try:
        data = json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def take_json(path: Path) -> dict[str, Any] | None:
    """Read and remove ``path``; None when there is none (or it is unreadable, which is removed too)."""
    try:
        raw = path.read_text()
    except FileNotFoundError:
        return None
    path.unlink(missing_ok=True)
    try:
        data = json.loads(raw)
    except json.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None


def request_switch(layout: Layout, version: str, record: str, **extra: Any) -> None:
    """Ask the supervisor to switch to the installed ``versions/<version>``; ``record`` comes back in
    its outcome (the server's update record, or whatever the caller uses to match the outcome)."""
    write_json(layout.request_file, {"action": "switch", "version": version, "record": record, **extra})


def request_rollback(layout: Layout, version: str, record: str, **extra: Any) -> None:
    """Ask the supervisor to switch back from the running ``version`` to the previous one."""
    write_json(layout.request_file, {"action": "rollback", "version": version, "record": record, **extra})
