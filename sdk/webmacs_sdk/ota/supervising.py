"""The A/B supervisor, for any program installed in a :class:`~webmacs_sdk.ota.layout.Layout`.

It runs ``<root>/current/bin/<program> <args>`` (with ``WEBMACS_OTA_ROOT`` set to the root, so the
child knows it is supervised and where to install), starts it again when it exits on its own, and
carries out what ``state/request.json`` asks:

- ``switch``: stop the child (SIGTERM, then SIGKILL after the stop timeout), let the guard prepare
  (the server backs its database up), point ``previous`` at the old version and ``current`` at the
  new one, start it and give it the ready timeout to become healthy. If it does not, stop it, let
  the guard undo (the server restores the backup), point ``current`` back, start the old version
  and report ``rolled_back`` with the reason.
- ``rollback``: switch back from the running version to ``previous`` (the guard decides what else
  to undo).

A switch is crash-safe: ``state/pending.json`` (the record, both versions, what the guard kept)
is written before ``current`` moves and removed only with the verdict. A supervisor that died while
a new version was being checked (killed, power lost) finds it when it starts again: it checks the
version ``current`` points at once more, with a fresh ready timeout, and keeps it or rolls it back
as it would have, writing the outcome then.

Every request ends with ``state/outcome.json`` (``record``, ``version``, ``from_version``,
``result``: ``running``, ``rolled_back``, ``switched_back`` or ``not_switched``, ``reason``, ``at``).

What "healthy" means and what happens around a switch are the caller's: a :class:`HealthCheck`
(the server: ``/health/ready`` answers 200; a controller: its first batch was acknowledged) and a
:class:`SwitchGuard` (the server: database backup and restore; a controller: nothing).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from types import FrameType
from typing import Any, Protocol

import attrs

from webmacs_sdk.ota.layout import Layout, read_json, take_json, write_json

log = logging.getLogger("webmacs.supervisor")

#: How often a starting child's health is looked at.
HEALTH_POLL_SECONDS = 0.25


@attrs.frozen
class Goal:
    """What a healthy new version does, in the three forms the supervisor's messages use, e.g.
    ``answer /health/ready``, ``answering /health/ready``, ``answered /health/ready``."""

    do: str
    doing: str
    done: str


class HealthCheck(Protocol):
    """Tells whether a freshly started child is healthy."""

    @property
    def goal(self) -> Goal: ...

    def reset(self) -> None:
        """Called before a child starts: forget any sign of health of an earlier child."""

    def healthy(self, child: subprocess.Popen[bytes]) -> bool:
        """True once ``child`` (running) is healthy; called every :data:`HEALTH_POLL_SECONDS`."""


class SwitchRefused(Exception):
    """The guard refuses a switch; the message is the outcome's reason (the old version starts again)."""


class SwitchGuard(Protocol):
    """What is done around a switch besides moving the links; every call runs with no child running."""

    def before_switch(self, old: str, new: str) -> dict[str, Any]:
        """Prepare the switch from ``old`` to ``new``; returns what undoing it needs (JSON-able), kept in
        ``state/last_switch.json`` once the new version is healthy.

        :raises SwitchRefused: the switch must not happen.
        """

    def after_failed_switch(self, kept: dict[str, Any]) -> str:
        """Undo after the new version failed; returns what was done, for the reason ('' for nothing)."""

    def after_switch_back(self, version: str, last_switch: dict[str, Any]) -> str:
        """Undo on a manual rollback from ``version``; ``last_switch`` is ``state/last_switch.json``
        (``from``, ``to``, ``at`` and what :meth:`before_switch` returned; empty when there is none).
        Returns what was done, for the reason ('' for nothing)."""


class NoGuard:
    """A switch is only the links: nothing to prepare, nothing to undo."""

    def before_switch(self, old: str, new: str) -> dict[str, Any]:
        return {}

    def after_failed_switch(self, kept: dict[str, Any]) -> str:
        return ""

    def after_switch_back(self, version: str, last_switch: dict[str, Any]) -> str:
        return ""


@attrs.frozen
class Child:
    """The supervised program: ``<root>/current/bin/<program> <args>``."""

    program: str
    args: tuple[str, ...] = ()
    #: Variables added to the supervisor's environment for the child.
    env: Mapping[str, str] = attrs.field(factory=dict)
    #: What the child is called in log lines ("server", "controller").
    name: str = "server"
    #: The command that creates an installation (said when ``current`` is missing).
    init_hint: str = "webmacs ota init"


@attrs.frozen
class Timings:
    """Time limits of a supervisor, in seconds."""

    #: How long a newly switched-to version has to become healthy.
    ready_timeout: float = 60.0
    #: How long a stopping child may take before it is killed.
    stop_timeout: float = 30.0
    #: How often the request file is looked at.
    poll: float = 0.5
    #: Wait before a child that exited on its own is started again.
    restart_delay: float = 2.0


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


class Supervisor:
    """One supervised child of one A/B installation; :meth:`run` until SIGTERM or SIGINT."""

    def __init__(self, layout: Layout, child: Child, health: HealthCheck, *, guard: SwitchGuard | None = None,
                 timings: Timings | None = None) -> None:
        self.layout = layout
        self.spec = child
        self.health = health
        self.guard: SwitchGuard = guard or NoGuard()
        self.timings = timings or Timings()
        self.child: subprocess.Popen[bytes] | None = None
        #: Why the last start failed (the program is missing or not executable), else None.
        self.start_error: str | None = None
        self.stopping = False

    # ---- the child process ----------------------------------------------------------------

    def start(self) -> None:
        env = {**os.environ, **self.spec.env, "WEBMACS_OTA_ROOT": str(self.layout.root)}
        command = [str(self.layout.current / "bin" / self.spec.program), *self.spec.args]
        log.info("starting %s (version %s)", " ".join(command), self.layout.running_version())
        self.health.reset()
        try:
            self.child, self.start_error = subprocess.Popen(command, env=env), None
        except OSError as exc:  # a version without the program: reported (and rolled back), not a crash
            self.child, self.start_error = None, exc.strerror or str(exc)
            log.error("%s could not be started: %s", self.spec.name, self.start_error)

    def stop(self) -> None:
        """SIGTERM, and SIGKILL once the stop timeout has passed (a controller flushes its spool meanwhile)."""
        child, self.child = self.child, None
        if child is None or child.poll() is not None:
            return
        child.terminate()
        try:
            child.wait(self.timings.stop_timeout)
        except subprocess.TimeoutExpired:
            log.warning("%s did not stop within %.0f s; killing it", self.spec.name, self.timings.stop_timeout)
            child.kill()
            child.wait()

    def wait_healthy(self, timeout: float) -> str | None:
        """None once the child is healthy, else why not (exited, timed out, supervisor stopping)."""
        goal = self.health.goal
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.stopping:
                return f"did not {goal.do} before the supervisor was asked to stop"
            if self.child is None and self.start_error is not None:
                return f"could not be started ({self.start_error})"
            if self.child is None or self.child.poll() is not None:
                code = self.child.returncode if self.child else None
                return f"exited with status {code} before {goal.doing}"
            if self.health.healthy(self.child):
                return None
            time.sleep(HEALTH_POLL_SECONDS)
        return f"did not {goal.do} within {timeout:.0f} s"

    # ---- requests -------------------------------------------------------------------------

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
        try:
            kept = self.guard.before_switch(old, version)
        except SwitchRefused as exc:
            write_json(layout.outcome_file, {**outcome, "result": "rolled_back", "reason": str(exc)})
            self.start()
            return
        # Written before ``current`` moves, removed only with the verdict: a supervisor that dies
        # meanwhile (killed, power lost) finds it at its next start and checks the version again.
        pending = {**outcome, "previous": before_old, "kept": kept, "switched_at": _now()}
        write_json(layout.pending_file, pending)
        layout.point(layout.previous, old)
        layout.point(layout.current, version)
        self.verify(pending, resumed=False)

    def verify(self, pending: dict[str, Any], *, resumed: bool) -> None:
        """Start the version switched to (``pending``: what ``state/pending.json`` holds) and wait for
        its health; keep it, or switch back to the old version. ``resumed``: after a supervisor restart."""
        layout = self.layout
        version, old = str(pending.get("version")), str(pending.get("from_version"))
        stored = pending.get("kept")
        kept: dict[str, Any] = stored if isinstance(stored, dict) else {}
        outcome = {key: pending.get(key) for key in ("record", "version", "from_version")}
        after = "the supervisor restarted" if resumed else "the switch"
        started = time.monotonic()
        self.start()
        problem = self.wait_healthy(self.timings.ready_timeout)
        if problem is None:
            log.info("version %s is healthy", version)
            # Kept for a manual rollback: what the guard needs to undo this switch.
            write_json(layout.last_switch_file, {"from": old, "to": version, **kept, "at": _now()})
            write_json(layout.outcome_file, {**outcome, "result": "running", "at": _now(),
                                             "reason": f"{self.health.goal.done} "
                                                       f"{time.monotonic() - started:.1f} s after {after}"})
            layout.pending_file.unlink(missing_ok=True)
            return
        log.error("version %s %s; switching back to %s", version, problem, old)
        self.stop()
        note = self.guard.after_failed_switch(kept)
        checked = " (checked again after the supervisor restarted)" if resumed else ""
        reason = (f"version {version} {problem}{checked}; switched back to {old}"
                  + (f" and {note}" if note else ""))
        # The verdict is kept with the pending switch until the links are back: a supervisor that
        # dies from here on only has to report it.
        write_json(layout.pending_file, {**pending, "reason": reason})
        layout.point(layout.current, old)
        layout.point(layout.previous, _text(pending.get("previous")))
        self.finish_rollback(outcome, reason)

    def finish_rollback(self, outcome: dict[str, Any], reason: str) -> None:
        """Report ``rolled_back``, forget the pending switch, and start the old version again."""
        write_json(self.layout.outcome_file, {**outcome, "result": "rolled_back", "at": _now(), "reason": reason})
        self.layout.pending_file.unlink(missing_ok=True)
        if self.stopping:  # asked to stop while the new version was starting: leave the old one in place
            return
        self.start()
        if (again := self.wait_healthy(self.timings.ready_timeout)) is not None:
            log.error("the previous version %s %s too", outcome.get("from_version"), again)

    def resume(self, pending: dict[str, Any]) -> None:
        """At start, with a switch left pending by a supervisor that died: check the version switched
        to again (a fresh ready timeout) when ``current`` points at it; otherwise the switch never
        happened or its rollback had moved the links back already, and only the verdict is missing."""
        layout = self.layout
        version, old = str(pending.get("version")), str(pending.get("from_version"))
        if layout.running_version() == version:
            log.warning("the supervisor stopped while version %s was being checked; checking it again", version)
            self.verify(pending, resumed=True)
            return
        if layout.running_version() == old and "reason" not in pending:
            layout.point(layout.previous, _text(pending.get("previous")))
        reason = str(pending.get("reason") or f"version {version} was not started: the supervisor stopped "
                                               f"before the switch; {old} runs")
        log.error("%s", reason)
        self.finish_rollback({key: pending.get(key) for key in ("record", "version", "from_version")}, reason)

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
        note = self.guard.after_switch_back(version, take_json(layout.last_switch_file) or {})
        layout.point(layout.current, previous)
        layout.point(layout.previous, None)
        write_json(layout.outcome_file, {**outcome, "result": "switched_back", "at": _now(),
                                         "reason": f"switched back to {previous}" + (f"; {note}" if note else "")})
        self.start()
        if (problem := self.wait_healthy(self.timings.ready_timeout)) is not None:
            log.error("version %s %s after the manual rollback", previous, problem)

    # ---- main loop ------------------------------------------------------------------------

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True

    def run(self) -> int:
        """Start the child and serve requests until SIGTERM/SIGINT; then stop the child. Exit code 1
        when the installation has no current version."""
        layout = self.layout
        layout.ensure()
        if layout.running_version() is None:
            log.error("%s has no current version; create it with '%s'", layout.root, self.spec.init_hint)
            return 1
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        try:
            pending = read_json(layout.pending_file)
            if pending is not None:
                self.resume(pending)
            else:
                self.start()
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
                    log.warning("%s exited (status %s); starting it again", self.spec.name,
                                self.child.returncode if self.child else None)
                    time.sleep(self.timings.restart_delay)
                    if not self.stopping:
                        self.start()
                time.sleep(self.timings.poll)
        finally:
            self.stop()
        return 0
