"""Reports each instance's state to the server (``PUT /api/v1/plugins/{id}/status``) when it changes.

Upstream never reports, so the UI shows every instance as ``inactive`` forever. Here the server learns
``connected`` (real hardware), ``demo`` (simulated values) or ``error`` with the reason, and ``inactive``
when the controller stops. A report is sent only when the wanted state differs from what the server
shows, so a restarted controller does not repeat reports the server already has.
"""

from __future__ import annotations

import logging

from webmacs_sdk.device import PluginState

from .api import ApiClient, ApiError
from .bridge import Instance, PluginBridge

log = logging.getLogger("webmacs.controller.status")

Report = tuple[str, str | None]


def instance_report(inst: Instance) -> Report | None:
    """``(status, error_message)`` of a running instance; None while it is between states."""
    plugin = inst.plugin
    if plugin.state in (PluginState.CONNECTED, PluginState.RUNNING):
        return ("demo" if plugin.is_demo_mode else "connected", None)
    if plugin.state is PluginState.ERROR:
        return ("error", (plugin.last_error or "Connection failed")[:2000])
    return None


class StatusReporter:
    """Compares wanted states with the server's and sends the differences."""

    def __init__(self, api: ApiClient, bridge: PluginBridge) -> None:
        self._api = api
        self._bridge = bridge
        self._reported: dict[str, Report] = {}
        self.reports = 0

    def wanted(self) -> dict[str, Report]:
        """What each enabled server instance should show right now."""
        result: dict[str, Report] = {}
        for public_id, (status, message) in self._bridge.problems.items():
            result[public_id] = (status, message[:2000])
        for public_id, inst in self._bridge.instances.items():
            report = instance_report(inst)
            if report is not None:
                result[public_id] = report
        return result

    def _known(self, public_id: str) -> Report | None:
        if public_id in self._reported:
            return self._reported[public_id]
        record = self._bridge.records.get(public_id)
        if record is None:
            return None
        return (str(record.get("status") or "inactive"), record.get("error_message"))

    async def tick(self) -> None:
        """Send every changed state (failures are retried on the next tick)."""
        self._reported = {k: v for k, v in self._reported.items() if k in self._bridge.records}
        for public_id, report in self.wanted().items():
            if self._known(public_id) == report:
                continue
            await self._put(public_id, report)

    async def all_inactive(self) -> None:
        """On shutdown: every instance this controller ran is ``inactive`` again."""
        for public_id in list(self._bridge.instances):
            if self._known(public_id) != ("inactive", None):
                try:
                    await self._put(public_id, ("inactive", None))
                except ApiError as exc:
                    log.warning("Could not report instance %s as inactive: %s", public_id, exc)

    async def _put(self, public_id: str, report: Report) -> None:
        status, message = report
        body: dict[str, str | None] = {"status": status, "error_message": message}
        try:
            await self._api.request("PUT", f"/plugins/{public_id}/status", json=body)
        except ApiError as exc:
            if exc.status == 404:  # deleted meanwhile; the next sync removes it
                return
            raise
        self._reported[public_id] = report
        self.reports += 1
        log.info("Instance %s reported as %s%s", public_id, status, f" ({message})" if message else "")
